package dev.arbiter.resilience;

import dev.arbiter.admin.AdminRoute;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.error.Untrusted;
import dev.arbiter.provider.Deployment;
import dev.arbiter.route.CircuitGate;
import dev.arbiter.route.ModelRegistry;
import dev.arbiter.wire.Json;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
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
 * transition is logged once at INFO.
 */
public final class Breakers implements CircuitGate {
    private static final Logger log = LoggerFactory.getLogger(Breakers.class);

    private final Map<String, Entry> byKey;
    private final LongSupplier nanos;

    private record Entry(Deployment deployment, CircuitBreaker breaker, BreakerConfig config, OpenedAt openedAt) {
    }

    /** When the breaker last opened, in {@code nanos} time. */
    private static final class OpenedAt {
        volatile long nanos;
    }

    private Breakers(List<Deployment> deployments, LongSupplier nanos) {
        this.nanos = nanos;
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
                    .waitDurationInOpenState(cfg.openFor())
                    .permittedNumberOfCallsInHalfOpenState(cfg.halfOpenCalls())
                    .writableStackTraceEnabled(false)
                    .build());
            var opened = new OpenedAt();
            cb.getEventPublisher().onStateTransition(e -> {
                var to = e.getStateTransition().getToState();
                if (to == CircuitBreaker.State.OPEN || to == CircuitBreaker.State.FORCED_OPEN) opened.nanos = nanos.getAsLong();
                log.info("circuit breaker {}: {} -> {}", key, e.getStateTransition().getFromState(), to);
            });
            cb.getEventPublisher().onReset(e -> log.info("circuit breaker {}: reset -> CLOSED", key));
            map.put(key, new Entry(d, cb, cfg, opened));
        }
        this.byKey = Map.copyOf(map);
    }

    /** The breakers of every deployment of {@code registry}, timed by {@code nanos}. */
    public static Breakers of(ModelRegistry registry, LongSupplier nanos) {
        var all = new ArrayList<Deployment>();
        for (ModelRegistry.Model m : registry.models()) all.addAll(m.deployments());
        return new Breakers(all, nanos);
    }

    static Breakers of(List<Deployment> deployments, LongSupplier nanos) {
        return new Breakers(deployments, nanos);
    }

    static String key(Deployment d) {
        return d.model() + "/" + d.name();
    }

    @Override
    public Call enter(Deployment d) {
        Entry e = byKey.get(key(d));
        if (e == null) return Call.NONE;
        if (!e.breaker().tryAcquirePermission()) {
            throw new ArbiterException.Overloaded("The circuit breaker of deployment " + d.name() + " (model " + d.model()
                    + ") is open: the upstream failed too often", remaining(e), "circuit_open");
        }
        long start = nanos.getAsLong();
        var done = new AtomicBoolean();
        CircuitBreaker cb = e.breaker();
        return new Call() {
            @Override
            public void succeeded() {
                if (done.compareAndSet(false, true)) cb.onSuccess(nanos.getAsLong() - start, TimeUnit.NANOSECONDS);
            }

            @Override
            public void failed(ArbiterException failure) {
                if (!done.compareAndSet(false, true)) return;
                if (upstreamsFault(failure)) cb.onError(nanos.getAsLong() - start, TimeUnit.NANOSECONDS, failure);
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
        long left = e.config().openFor().toNanos() - (nanos.getAsLong() - e.openedAt().nanos);
        return Duration.ofNanos(Math.max(TimeUnit.MILLISECONDS.toNanos(1), left));
    }

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
