package dev.arbiter.observe;

import dev.arbiter.wire.TokenCounter;
import dev.arbiter.config.PriceConfig;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.error.ErrorKind;
import dev.arbiter.llm.Frame;
import dev.arbiter.llm.FrameStream;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.LlmResponse;
import dev.arbiter.llm.Operation;
import dev.arbiter.llm.Part;
import dev.arbiter.llm.StreamEvent;
import dev.arbiter.llm.Usage;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.pipeline.ServedBy;
import dev.arbiter.pipeline.Stage;
import dev.arbiter.pipeline.Streams;
import dev.arbiter.route.ModelRegistry;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outermost stage: times the request, reads its usage (counting tokens itself when the upstream gave
 * none), prices it, and hands an {@link Outcome} to every sink when the answer is complete. A stream is
 * observed frame by frame as it passes, never buffered; its outcome is recorded when it closes.
 */
public final class ObserveStage implements Stage {
    private static final Logger log = LoggerFactory.getLogger(ObserveStage.class);

    private final ModelRegistry registry;
    private final List<OutcomeSink> sinks;
    private final LongSupplier nanos;
    private final boolean requestIdInMdc;

    public ObserveStage(ModelRegistry registry, List<OutcomeSink> sinks, LongSupplier nanos) {
        this(registry, sinks, nanos, false);
    }

    /** @param requestIdInMdc put the request id in the logging MDC while the request runs (JSON logs show it on every line) */
    public ObserveStage(ModelRegistry registry, List<OutcomeSink> sinks, LongSupplier nanos, boolean requestIdInMdc) {
        this.registry = registry;
        this.sinks = List.copyOf(sinks);
        this.nanos = nanos;
        this.requestIdInMdc = requestIdInMdc;
    }

    @Override
    public Reply apply(Exchange exchange, Chain next) {
        if (!requestIdInMdc) return observe(exchange, next);
        try (var ignored = org.slf4j.MDC.putCloseable(JsonLines.REQUEST_ID, exchange.requestId())) {
            return observe(exchange, next);
        }
    }

    private Reply observe(Exchange exchange, Chain next) {
        long start = nanos.getAsLong();
        Reply reply;
        try {
            reply = next.proceed(exchange);
        } catch (ArbiterException e) {
            record(exchange, null, false, ErrorKind.of(e).status(), e.code() == null ? "error" : e.code(), Usage.NONE,
                    nanos.getAsLong() - start, -1);
            throw e;
        }
        return switch (reply) {
            case Reply.Complete c -> {
                Usage usage = usageOf(exchange.request(), c.response());
                double cost = record(exchange, c.servedBy(), false, 200, null, usage, nanos.getAsLong() - start, -1);
                yield c.withHeader("x-arbiter-cost-usd", String.format(Locale.ROOT, "%.8f", cost));
            }
            case Reply.Streaming s -> s.withStream(observed(s.stream(), exchange, s.servedBy(), start));
        };
    }

    private Usage usageOf(LlmRequest req, LlmResponse r) {
        Usage u = r.usage();
        if (u.inputTokens() > 0 || u.outputTokens() > 0) return u;
        long out = 0;
        for (var c : r.choices()) {
            for (Part p : c.message().parts()) {
                out += switch (p) {
                    case Part.Text t -> TokenCounter.count(t.text());
                    case Part.ToolCall t -> TokenCounter.count(t.arguments());
                    case Part.CustomToolCall t -> TokenCounter.count(t.input());
                    case Part.Reasoning t -> TokenCounter.count(t.text());
                    default -> 0;
                };
            }
        }
        return new Usage(TokenCounter.countInput(req), out, 0, 0, 0, true);
    }

    private double record(Exchange ex, ServedBy served, boolean streamed, int status, String error, Usage usage,
                          long latency, long ttft) {
        PriceConfig price = served == null ? PriceConfig.FREE
                : registry.deployment(served.model(), served.deployment()).map(d -> d.config().price()).orElse(PriceConfig.FREE);
        // counting tokens and reading stored responses ask no model for an answer: nothing is spent
        var op = ex.request().operation();
        // nor does an answer served from the cache (its trace says hit or semantic-hit)
        boolean cached = ex.trace().cache().filter(c -> c.endsWith("hit")).isPresent();
        // nor by a request that shared an identical one's upstream call: the leader's outcome carries its cost
        boolean joined = "joined".equals(ex.trace().notes().get("dedup"));
        double cost = op == Operation.COUNT_TOKENS || op == Operation.STORED_RESPONSE || cached || joined ? 0 : Cost.usd(usage, price);
        if (served == null) {
            // a failed request: name the deployment of the last attempt made, if any
            served = ex.trace().lastAttempt().map(a -> new ServedBy(a.model(), a.deployment(), a.provider())).orElse(null);
        }
        var o = new Outcome(ex.requestId(), ex.trace().caller().orElse(ex.caller()).id(), ex.request().operation().label(), api(ex.request()), ex.request().model(),
                served == null ? null : served.model(), served == null ? null : served.deployment(),
                served == null ? null : served.provider(), streamed, status, error, usage, cost, latency, ttft, ex.trace());
        for (OutcomeSink sink : sinks) {
            try {
                sink.record(o);
            } catch (RuntimeException e) {
                log.warn("outcome sink {} failed: {}", sink.getClass().getSimpleName(), e.toString());
            }
        }
        return cost;
    }

    /** The way a request came in, as metrics and logs name it. */
    static String api(LlmRequest r) {
        return switch (r.operation()) {
            case COUNT_TOKENS -> "count_tokens";
            case STORED_RESPONSE -> "responses";
            case EMBEDDING -> "embeddings";
            case COMPLETION -> "completions";
            case CHAT -> switch (r.format()) {
                case ANTHROPIC_MESSAGES -> "messages";
                case OPENAI_RESPONSES -> "responses";
                default -> "chat";
            };
        };
    }

    /** Watches a stream's frames for first token, usage and text, and records the outcome at close. */
    private FrameStream observed(FrameStream inner, Exchange exchange, ServedBy served, long start) {
        var watch = new StreamWatch(start);
        return Streams.observe(inner, watch::frame, e -> watch.failure = e, () -> {
            Usage u = watch.usage != null && (watch.usage.inputTokens() > 0 || watch.usage.outputTokens() > 0) ? watch.usage
                    : new Usage(TokenCounter.countInput(exchange.request()), TokenCounter.count(watch.text.toString()), 0, 0, 0, true);
            int status = watch.failure == null ? 200 : ErrorKind.of(watch.failure).status();
            record(exchange, served, true, status, watch.failure == null ? null : watch.failure.code(), u,
                    nanos.getAsLong() - start, watch.ttft);
        });
    }

    /** What a stream showed so far: its first token's time, its usage, its text (for counting), its failure. */
    private final class StreamWatch {
        private final long start;
        private long ttft = -1;
        private Usage usage;
        private final StringBuilder text = new StringBuilder();
        private ArbiterException failure;

        StreamWatch(long start) {
            this.start = start;
        }

        void frame(Frame f) {
            for (StreamEvent e : f.events()) {
                switch (e) {
                    case StreamEvent.TextDelta t -> {
                        firstToken();
                        text.append(t.text());
                    }
                    case StreamEvent.ReasoningDelta r -> {
                        firstToken();
                        text.append(r.text());
                    }
                    case StreamEvent.ToolArgumentsDelta a -> {
                        firstToken();
                        text.append(a.fragment());
                    }
                    case StreamEvent.ToolCallStarted t -> firstToken();
                    case StreamEvent.UsageReported u -> usage = u.usage();
                    default -> { }
                }
            }
        }

        private void firstToken() {
            if (ttft < 0) ttft = nanos.getAsLong() - start;
        }
    }
}
