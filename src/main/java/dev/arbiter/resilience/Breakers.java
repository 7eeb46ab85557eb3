package dev.arbiter.resilience;

import dev.arbiter.admin.AdminRoute;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.error.Untrusted;
import dev.arbiter.provider.Deployment;
import dev.arbiter.route.CircuitGate;
import dev.arbiter.route.ModelRegistry;
import dev.arbiter.route.UpstreamState;
import dev.arbiter.wire.Json;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Resilience4j circuit breaker per deployment (model and deployment name: two models may share an endpoint
 * and still fail apart, e.g. one upstream model overloaded), made once from each deployment's
 * {@link BreakerConfig}, for the gateway's life.
 *
 * <p>Only failures that are the upstream's fault count: an {@link ArbiterException.Upstream} that {@link FailureClass}
 * calls transient or "elsewhere" (no answer, 5xx, 408/409/425, a broken TLS setup), but not a 429, whose
 * {@code Retry-After} the retry rule already honours. The caller's own errors (4xx), a cancelled call and Arbiter's
 * own refusals are neither success nor failure: the permit is released. A stream counts when it ends or fails.
 *
 * <p>An open breaker rejects with {@code circuit_open} (503) and the time left until it lets probes through,
 * rounded up by the HTTP edge; a forced-open breaker (admin) says its configured {@code open-for}. Every state
 * transition is logged once at INFO (an opening with the rates that tripped it and how long it stays open).
 *
 * <p>What Resilience4j lacks is added here and no more: the time left of an open circuit (for {@code Retry-After}
 * and for routing, which ranks open deployments last), and a call's time measured to its first byte rather than to
 * a stream's end, so that the slow-call rate judges the upstream's latency, not the length of its answers. The open
 * time that grows on repeated trips is Resilience4j's own wait-interval function, over its count of openings in a
 * row, mirrored in {@link OpenedAt#trips} to say the time left. Active health checks while open are
 * {@link HealthChecks}.
 *
 * <p>Shared across gateway nodes through {@link UpstreamState}: each opening is published with its open time, and each
 * close or reset withdraws it; a breaker that is closed here rejects calls ({@code circuit_open}, no network call) while
 * another node's opening is in force, and routing ranks the deployment last as for its own. This node's half-open and
 * open states are its own: another node's opening never moves this breaker, so each node's probes stay its own.
 */
public final class Breakers implements CircuitGate, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Breakers.class);

    private final Map<String, Entry> byKey;
    private final LongSupplier nanos;
    private final UpstreamState shared;
    private final HealthChecks health;

    /** @param health the deployment's health check, or null when it has none */
    private record Entry(Deployment deployment, CircuitBreaker breaker, BreakerConfig config, OpenedAt openedAt,
                         HealthChecks.Target health) {
    }

    /** The gateway's clock as Resilience4j reads it, for its open time: tests drive both with one fake clock. */
    private static final class NanosClock extends Clock {
        private final LongSupplier nanos;

        NanosClock(LongSupplier nanos) {
            this.nanos = nanos;
        }

        @Override
        public Instant instant() {
            return Instant.EPOCH.plusNanos(nanos.getAsLong());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    /** When the breaker last opened, in {@code nanos} time, and how many times in a row it has opened. */
    private static final class OpenedAt {
        volatile long nanos;
        /** Openings since the last clean close, as Resilience4j counts its open state's attempts. */
        volatile int trips;
    }

    private Breakers(List<Deployment> deployments, Predicate<String> embeddings, LongSupplier nanos, UpstreamState shared,
                     HealthChecks health) {
        this.nanos = nanos;
        this.shared = shared;
        this.health = health;
        Clock clock = new NanosClock(nanos);
        var map = new LinkedHashMap<String, Entry>();
        for (Deployment d : deployments) {
            BreakerConfig cfg = d.config().section(BreakerConfig.SECTION);
            if (!cfg.enabled()) continue;
            String key = key(d);
            CircuitBreaker cb = CircuitBreaker.of(key, CircuitBreakerConfig.custom()
                    .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                    .slidingWindowSize(cfg.slidingWindow())
                    .minimumNumberOfCalls(cfg.minimumCalls())
                    .failureRateThreshold(cfg.failureRateThreshold())
                    // the open time grows with Resilience4j's count of openings in a row, which a close resets
                    .waitIntervalFunctionInOpenState(trip -> cfg.openFor(trip).toMillis())
                    .permittedNumberOfCallsInHalfOpenState(cfg.halfOpenCalls())
                    .slowCallRateThreshold(cfg.countsSlowCalls() ? cfg.slowCallRateThreshold() : 100)
                    .slowCallDurationThreshold(cfg.countsSlowCalls() ? cfg.slowCall() : Duration.ofDays(365))
                    .writableStackTraceEnabled(false)
                    .clock(clock)
                    .build());
            var opened = new OpenedAt();
            HealthChecks.Target target = cfg.healthCheck().enabled()
                    ? new HealthChecks.Target(d, embeddings.test(d.model()), cb, cfg.healthCheck()) : null;
            cb.getEventPublisher().onStateTransition(e -> {
                var from = e.getStateTransition().getFromState();
                var to = e.getStateTransition().getToState();
                if (to == CircuitBreaker.State.OPEN || to == CircuitBreaker.State.FORCED_OPEN) opened.nanos = nanos.getAsLong();
                if (to == CircuitBreaker.State.OPEN) opened.trips = from == CircuitBreaker.State.HALF_OPEN ? opened.trips + 1 : 1;
                if (to == CircuitBreaker.State.CLOSED) opened.trips = 0;
                if (to == CircuitBreaker.State.OPEN) {
                    log.info("circuit breaker {}: {} -> {} for {} (failure rate {}%, slow-call rate {}%)", key, from, to,
                            cfg.openFor(opened.trips), cb.getMetrics().getFailureRate(), cb.getMetrics().getSlowCallRate());
                } else {
                    log.info("circuit breaker {}: {} -> {}", key, from, to);
                }
                if (to == CircuitBreaker.State.OPEN) {
                    shared.breakerOpened(d, cfg.openFor(opened.trips));
                    if (target != null) health.opened(target);
                } else if (to == CircuitBreaker.State.CLOSED) {
                    shared.breakerClosed(d);
                }
            });
            cb.getEventPublisher().onReset(e -> {
                opened.trips = 0;
                log.info("circuit breaker {}: reset -> CLOSED", key);
                shared.breakerClosed(d);
            });
            map.put(key, new Entry(d, cb, cfg, opened, target));
        }
        this.byKey = Map.copyOf(map);
    }

    /** The breakers of every deployment of {@code registry}, timed by {@code nanos}, kept on this node only. */
    public static Breakers of(ModelRegistry registry, LongSupplier nanos) {
        return of(registry, nanos, UpstreamState.NONE);
    }

    /**
     * The breakers of every deployment of {@code registry}, timed by {@code nanos}, their openings shared through
     * {@code shared}; the health checks probe the upstreams over the network. {@link #close} stops the health checks.
     */
    public static Breakers of(ModelRegistry registry, LongSupplier nanos, UpstreamState shared) {
        return of(registry, nanos, shared, new UpstreamProbe(), InstantSource.system());
    }

    static Breakers of(ModelRegistry registry, LongSupplier nanos, UpstreamState shared, HealthProbe probe, InstantSource clock) {
        var all = new ArrayList<Deployment>();
        var embeddings = new java.util.HashSet<String>();
        for (ModelRegistry.Model m : registry.models()) {
            all.addAll(m.deployments());
            if (m.embeddings()) embeddings.add(m.name());
        }
        return new Breakers(all, embeddings::contains, nanos, shared, new HealthChecks(probe, clock));
    }

    static Breakers of(List<Deployment> deployments, LongSupplier nanos) {
        return new Breakers(deployments, m -> false, nanos, UpstreamState.NONE, new HealthChecks(new UpstreamProbe(), InstantSource.system()));
    }

    /** Stops the health checks. */
    @Override
    public void close() {
        health.close();
    }

    static String key(Deployment d) {
        return d.model() + "/" + d.name();
    }

    @Override
    public Call enter(Deployment d) {
        Entry e = byKey.get(key(d));
        if (e == null) return Call.NONE;
        if (e.breaker().getState() == CircuitBreaker.State.CLOSED) {
            Duration elsewhere = shared.openElsewhere(d);
            if (!elsewhere.isZero()) {
                throw new ArbiterException.Overloaded("The circuit breaker of deployment " + d.name() + " (model " + d.model()
                        + ") is open on another gateway node: the upstream failed too often", elsewhere, "circuit_open");
            }
        }
        if (!e.breaker().tryAcquirePermission()) {
            throw new ArbiterException.Overloaded("The circuit breaker of deployment " + d.name() + " (model " + d.model()
                    + ") is open: the upstream failed too often", remaining(e), "circuit_open");
        }
        long start = nanos.getAsLong();
        var done = new AtomicBoolean();
        CircuitBreaker cb = e.breaker();
        return new Call() {
            /** When the answer's head or the stream's first event came: a call's time, for the slow-call rate. */
            private volatile long firstByte = -1;

            private long took() {
                long first = firstByte;
                return (first < 0 ? nanos.getAsLong() : first) - start;
            }

            @Override
            public void firstByte() {
                if (firstByte < 0) firstByte = nanos.getAsLong();
            }

            @Override
            public void succeeded() {
                if (done.compareAndSet(false, true)) cb.onSuccess(took(), TimeUnit.NANOSECONDS);
            }

            @Override
            public void failed(ArbiterException failure) {
                if (!done.compareAndSet(false, true)) return;
                if (upstreamsFault(failure)) cb.onError(took(), TimeUnit.NANOSECONDS, failure);
                else cb.releasePermission();
            }

            @Override
            public void released() {
                if (done.compareAndSet(false, true)) cb.releasePermission();
            }
        };
    }

    /** Whether a failed call counts against its deployment's health. */
    static boolean upstreamsFault(ArbiterException failure) {
        if (!(failure instanceof ArbiterException.Upstream u) || u.status() == 429) return false;
        FailureClass kind = FailureClass.of(failure);
        return kind == FailureClass.TRANSIENT || kind == FailureClass.ELSEWHERE;
    }

    /** The time until an open breaker lets probes through (at least 1 ms); a forced-open one: its open-for. */
    private Duration remaining(Entry e) {
        if (e.breaker().getState() != CircuitBreaker.State.OPEN) return e.config().openFor();
        return Duration.ofNanos(Math.max(TimeUnit.MILLISECONDS.toNanos(1), left(e)));
    }

    /** The nanoseconds an open breaker stays open still (negative once its time is up). */
    private long left(Entry e) {
        return e.config().openFor(Math.max(1, e.openedAt().trips)).toNanos() - (nanos.getAsLong() - e.openedAt().nanos);
    }

    /** Zero unless {@code d}'s breaker is open with time left (or forced open): routing ranks it after the others. */
    @Override
    public Duration openFor(Deployment d) {
        Entry e = byKey.get(key(d));
        if (e == null) return Duration.ZERO;
        Duration here = openHere(e);
        Duration elsewhere = shared.openElsewhere(d);
        return elsewhere.compareTo(here) > 0 ? elsewhere : here;
    }

    private Duration openHere(Entry e) {
        return switch (e.breaker().getState()) {
            case FORCED_OPEN -> e.config().openFor();
            case OPEN -> {
                long left = left(e);
                yield left > 0 ? Duration.ofNanos(left) : Duration.ZERO;
            }
            default -> Duration.ZERO;
        };
    }

    /**
     * Registers, per breaker, {@code arbiter_breaker_state{model,deployment,state}} (1 for the state it is in, 0 for
     * the others: closed, open, half_open, forced_open, disabled) and
     * {@code arbiter_breaker_transitions_total{model,deployment,to}}, and for those with a health check
     * {@code arbiter_breaker_health_probes_total{model,deployment,result=ok|failed}}. The labels are configured names only.
     */
    public void bindTo(MeterRegistry registry) {
        for (Entry e : byKey.values()) {
            String model = e.deployment().model();
            String deployment = e.deployment().name();
            for (CircuitBreaker.State s : METERED) {
                Gauge.builder("arbiter.breaker.state", e.breaker(), cb -> cb.getState() == s ? 1 : 0)
                        .description("1 for the state each deployment's circuit breaker is in, 0 for the others")
                        .tags("model", model, "deployment", deployment, "state", s.name().toLowerCase(java.util.Locale.ROOT))
                        .register(registry);
            }
            var transitions = new java.util.EnumMap<CircuitBreaker.State, Counter>(CircuitBreaker.State.class);
            for (CircuitBreaker.State s : METERED) {
                transitions.put(s, Counter.builder("arbiter.breaker.transitions")
                        .description("Circuit breaker state transitions, by the state entered")
                        .tags("model", model, "deployment", deployment, "to", s.name().toLowerCase(java.util.Locale.ROOT))
                        .register(registry));
            }
            e.breaker().getEventPublisher().onStateTransition(t -> {
                Counter c = transitions.get(t.getStateTransition().getToState());
                if (c != null) c.increment();
            });
            HealthChecks.Target h = e.health();
            if (h == null) continue;
            for (boolean ok : new boolean[] {true, false}) {
                FunctionCounter.builder("arbiter.breaker.health.probes", h, t -> ok ? t.probes - t.failures : t.failures)
                        .description("Health check probes of deployments whose breaker is open, by result")
                        .tags("model", model, "deployment", deployment, "result", ok ? "ok" : "failed")
                        .register(registry);
            }
        }
    }

    private static final List<CircuitBreaker.State> METERED = List.of(CircuitBreaker.State.CLOSED, CircuitBreaker.State.OPEN,
            CircuitBreaker.State.HALF_OPEN, CircuitBreaker.State.FORCED_OPEN, CircuitBreaker.State.DISABLED);

    /** The state of one breaker, by {@code model/deployment} or by a deployment name no other model uses. */
    public Optional<CircuitBreaker.State> state(String id) {
        return find(id).map(e -> e.breaker().getState());
    }

    /**
     * The admin API's breaker routes: {@code GET /admin/breakers}, and {@code POST /admin/breakers/{id}/open} and
     * {@code /reset}, where the id is a deployment name or {@code model/deployment} (so the action is the last segment).
     */
    public List<AdminRoute> adminRoutes() {
        return List.of(
                AdminRoute.get("breakers", call -> view()),
                AdminRoute.post("breakers/{rest...}", call -> {
                    String rest = call.param("rest");
                    int cut = rest.lastIndexOf('/');
                    if (cut <= 0) {
                        throw new ArbiterException.NotFound("Expected /admin/breakers/{deployment}/open or /reset", null, "not_found");
                    }
                    return act(rest.substring(0, cut), rest.substring(cut + 1));
                }));
    }

    /** {@code GET /admin/breakers}: every breaker, its state and counts. */
    public ObjectNode view() {
        ObjectNode root = Json.object();
        if (shared instanceof RedisUpstreamState r) {
            root.put("shared_state", "redis");
            root.put("shared_state_reachable", r.shared());
        } else {
            root.put("shared_state", "memory");
        }
        ArrayNode list = root.putArray("breakers");
        byKey.values().stream().sorted(java.util.Comparator.comparing(e -> e.breaker().getName()))
                .forEach(e -> list.add(view(e)));
        return root;
    }

    private ObjectNode view(Entry e) {
        var m = e.breaker().getMetrics();
        ObjectNode n = Json.object();
        n.put("model", e.deployment().model());
        n.put("deployment", e.deployment().name());
        n.put("state", e.breaker().getState().name().toLowerCase(java.util.Locale.ROOT));
        n.put("failure_rate", m.getFailureRate());
        n.put("calls", m.getNumberOfBufferedCalls());
        n.put("failed_calls", m.getNumberOfFailedCalls());
        n.put("not_permitted_calls", m.getNumberOfNotPermittedCalls());
        var s = e.breaker().getState();
        if (s == CircuitBreaker.State.OPEN || s == CircuitBreaker.State.FORCED_OPEN) n.put("retry_after_ms", remaining(e).toMillis());
        Duration elsewhere = shared.openElsewhere(e.deployment());
        if (!elsewhere.isZero()) n.put("open_elsewhere_ms", elsewhere.toMillis());
        if (e.health() != null) HealthChecks.view(e.health(), n);
        return n;
    }

    /**
     * {@code POST /admin/breakers/{id}/open} (forced open until reset) and {@code .../reset} (closed, counts cleared).
     *
     * @throws ArbiterException.NotFound for an unknown breaker or action
     */
    public ObjectNode act(String id, String action) {
        if (!action.equals("open") && !action.equals("reset")) {
            throw new ArbiterException.NotFound("No breaker action '" + Untrusted.text(action) + "' (expected: open | reset)",
                    null, "not_found");
        }
        List<Entry> named = byKey.containsKey(id) ? List.of(byKey.get(id))
                : byKey.values().stream().filter(e -> e.deployment().name().equals(id)).toList();
        if (named.size() > 1) {
            throw new ArbiterException.BadRequest("Deployment name '" + Untrusted.text(id) + "' is used by several models (expected: one of "
                    + String.join(", ", named.stream().map(e -> e.deployment().model() + "/" + id).toList()) + ")", null, "ambiguous");
        }
        Entry e = named.stream().findFirst().orElseThrow(() -> new ArbiterException.NotFound("No circuit breaker '"
                + Untrusted.text(id) + "' (expected: a deployment name, or model/deployment)", null, "not_found"));
        switch (action) {
            case "open" -> e.breaker().transitionToForcedOpenState();
            default -> e.breaker().reset();
        }
        return view(e);
    }

    private Optional<Entry> find(String id) {
        Entry exact = byKey.get(id);
        if (exact != null) return Optional.of(exact);
        List<Entry> named = byKey.values().stream().filter(e -> e.deployment().name().equals(id)).toList();
        return named.size() == 1 ? Optional.of(named.getFirst()) : Optional.empty();
    }
}
