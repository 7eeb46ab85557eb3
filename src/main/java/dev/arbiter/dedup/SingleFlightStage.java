package dev.arbiter.dedup;

import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.config.ModelConfig;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.error.Untrusted;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.Operation;
import dev.arbiter.llm.RequestKey;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.pipeline.Stage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Single-flight deduplication: identical requests in flight at once share one upstream call. Placed after the
 * Responses stage (which resolves a conversation's stored state, so the key covers it) and before routing (so a
 * joiner takes no deployment slot, no breaker call and no retry budget).
 *
 * <p>Identical means the same {@link RequestKey} (everything that changes the answer, scoped by the caller, so two
 * callers never share), the same wire format and the same shape (streamed or not). The first request (the leader)
 * makes the call on its own thread, exactly as without this stage; the others (joiners) wait for its outcome, each
 * until its own deadline. A complete answer goes to every waiter; a stream is read through a {@link Broadcast}, each
 * waiter from the first frame at its own pace, and the upstream call is cancelled only when every waiter has gone. A
 * failure of the shared call (after the attempt step's own retries and fallbacks) goes to every waiter, each in its own
 * API format: a retry per waiter would multiply the load on a failing upstream by the number of waiters, the storm
 * this stage exists to prevent. A request allowed more time than the leader (a longer {@code x-arbiter-timeout})
 * does not join, since the shared call ends at the leader's deadline; it makes its own call.
 *
 * <p>What is shared by default: chat, completion and embedding requests to a model with {@code single-flight} on (the
 * default), when the answer is meant to be reproducible: embeddings always; chat and completions when they ask for
 * temperature 0 or a {@code seed}. Requests that sample (no temperature, or one above 0, and no seed) are not shared
 * unless the model says {@code share-sampled: true} or the request sends {@code x-arbiter-single-flight: on}: a client
 * sending the same request twice at once may want two samples. {@code x-arbiter-single-flight: off} opts a request out.
 * A joiner's answer carries {@code x-arbiter-dedup: joined}, its trace the note {@code dedup=joined} (and the leader's
 * request id as {@code dedup.leader}).
 */
public final class SingleFlightStage implements Stage {
    /** The request header that opts a request out ({@code off}) or, for a sampled request, in ({@code on}). */
    public static final String HEADER = "x-arbiter-single-flight";
    /** The answer header of a request that shared another's call. */
    public static final String ANSWER_HEADER = "x-arbiter-dedup";
    /** Budgets are measured from slightly different instants; this much more than the leader's still joins. */
    private static final long BUDGET_TOLERANCE = Duration.ofMillis(100).toNanos();

    private record Key(RequestKey key, WireFormat format, boolean stream) {}

    /** The meters of one model. */
    private record Meters(Counter joinedStreamed, Counter joinedComplete, Counter saved) {}

    private final Map<Key, Flight> flights = new ConcurrentHashMap<>();
    private final Map<String, SingleFlightConfig> configs;
    private final Function<String, Optional<String>> models;
    private final Map<String, Meters> meters = new HashMap<>();

    /**
     * @param configs each model's settings by model name (the default for a model not listed)
     * @param models  the configured model a requested name resolves to (aliases included), if any
     */
    public SingleFlightStage(Map<String, SingleFlightConfig> configs, Function<String, Optional<String>> models, MeterRegistry registry) {
        this.configs = Map.copyOf(configs);
        this.models = models;
        for (String m : this.configs.keySet()) {
            meters.put(m, new Meters(joined(registry, m, true), joined(registry, m, false),
                    Counter.builder("arbiter.dedup.saved.calls").description("Upstream calls not made because a request shared an identical one's")
                            .tags("model", m).register(registry)));
        }
        Gauge.builder("arbiter.dedup.in.flight", flights, Map::size).description("Shared upstream calls open to joiners")
                .strongReference(true).register(registry);
    }

    /** The stage for every model of {@code config}, reading each one's {@code single-flight} key. */
    public static SingleFlightStage of(ArbiterConfig config, Function<String, Optional<String>> models, MeterRegistry registry) {
        var byModel = new HashMap<String, SingleFlightConfig>();
        for (ModelConfig m : config.models()) byModel.put(m.name(), m.section(SingleFlightConfig.SECTION));
        return new SingleFlightStage(byModel, models, registry);
    }

    private static Counter joined(MeterRegistry registry, String model, boolean stream) {
        return Counter.builder("arbiter.dedup.joined").description("Requests that shared an identical in-flight request's upstream call")
                .tags("model", model, "stream", Boolean.toString(stream)).register(registry);
    }

    @Override
    public String name() {
        return "dedup";
    }

    @Override
    public Reply apply(Exchange exchange, Chain next) {
        String model = shareable(exchange);
        if (model == null) return next.proceed(exchange);
        LlmRequest req = exchange.request();
        var key = new Key(RequestKey.of(req, exchange.caller().id()), req.format(), req.stream());
        long budget = exchange.deadline().atNanos() - exchange.trace().startNanos();
        for (int tries = 0; tries < 3; tries++) {
            Flight mine = newFlight(key, exchange, budget, model);
            Flight theirs = flights.putIfAbsent(key, mine);
            if (theirs == null) return lead(key, mine, exchange, next);
            if (budget > theirs.budgetNanos + BUDGET_TOLERANCE) break;
            Reply r = join(theirs, exchange, model);
            if (r != null) return r;
            flights.remove(key, theirs);   // closed to joiners or abandoned: this request may lead a new call
        }
        return next.proceed(exchange);
    }

    private Flight newFlight(Key key, Exchange exchange, long budget, String model) {
        var self = new Flight[1];
        Broadcast b = key.stream() ? new Broadcast(configs.get(model).maxReplayBytes(), () -> flights.remove(key, self[0])) : null;
        self[0] = new Flight(budget, exchange.requestId(), exchange.trace(), b);
        return self[0];
    }

    /** Makes the call for every waiter; the leader reads a stream through its own view like any other. */
    private Reply lead(Key key, Flight flight, Exchange exchange, Chain next) {
        Broadcast.View own = flight.broadcast == null ? null : flight.broadcast.attach(exchange.deadline());
        Reply reply;
        try {
            reply = next.proceed(exchange);
        } catch (ArbiterException e) {
            flights.remove(key, flight);
            flight.failed(e);
            if (own != null) own.close();
            throw e;
        } catch (RuntimeException | Error e) {
            flights.remove(key, flight);
            flight.failed(new ArbiterException.Internal("Arbiter failed to handle an identical request this one waited for"));
            if (own != null) own.close();
            throw e;
        }
        switch (reply) {
            case Reply.Streaming s when own != null -> {
                flight.broadcast.start(s.stream());
                flight.succeeded(s);
                return s.withStream(own);
            }
            case Reply.Complete c when own == null -> {
                flights.remove(key, flight);
                flight.succeeded(c);
                return c;
            }
            default -> {
                flights.remove(key, flight);
                flight.abandoned();
                if (own != null) own.close();
                return reply;
            }
        }
    }

    /** Waits for the shared call's outcome; null when this request cannot share it (and should try again). */
    private Reply join(Flight flight, Exchange exchange, String model) {
        Broadcast.View view = null;
        if (flight.broadcast != null) {
            view = flight.broadcast.attach(exchange.deadline());
            if (view == null) return null;
        }
        Reply shared;
        try {
            shared = flight.await(exchange.deadline());
        } catch (ArbiterException e) {
            if (view != null) view.close();
            joined(exchange, flight, model);
            throw e;
        }
        if (shared == null) {
            if (view != null) view.close();
            return null;
        }
        joined(exchange, flight, model);
        return switch (shared) {
            case Reply.Complete c -> c.withHeader(ANSWER_HEADER, "joined");
            case Reply.Streaming s -> s.withStream(view).withHeader(ANSWER_HEADER, "joined");
        };
    }

    private void joined(Exchange exchange, Flight flight, String model) {
        exchange.trace().note("dedup", "joined");
        exchange.trace().note("dedup.leader", flight.leader);
        Meters m = meters.get(model);
        if (m == null) return;
        (flight.broadcast != null ? m.joinedStreamed() : m.joinedComplete()).increment();
        m.saved().increment(Math.max(1, flight.attempts()));
    }

    /** The configured model whose settings let this request share a call, or null when it is not to be shared. */
    String shareable(Exchange exchange) {
        LlmRequest r = exchange.request();
        Operation op = r.operation();
        if (op != Operation.CHAT && op != Operation.COMPLETION && op != Operation.EMBEDDING) return null;
        Optional<String> model = models.apply(r.model());
        if (model.isEmpty()) return null;
        SingleFlightConfig cfg = configs.get(model.get());
        if (cfg == null || !cfg.enabled()) return null;
        String h = exchange.headers().get(HEADER);
        if (h != null) {
            switch (h.trim().toLowerCase(Locale.ROOT)) {
                case "off", "false", "no", "0" -> {
                    return null;
                }
                case "on", "true", "yes", "1" -> {
                    return model.get();
                }
                default -> throw new ArbiterException.BadRequest("Invalid header " + HEADER + ": '" + Untrusted.text(h, 100)
                        + "' (expected: on or off)", HEADER);
            }
        }
        return op == Operation.EMBEDDING || cfg.shareSampled() || !sampled(r) ? model.get() : null;
    }

    /**
     * Whether a request asks for a sample rather than a reproducible answer: no temperature (the providers' default is
     * 1) or one above 0, and no {@code seed}.
     */
    static boolean sampled(LlmRequest r) {
        if (r.extra().hasNonNull("seed")) return false;
        return r.temperature() == null || r.temperature() > 0;
    }
}
