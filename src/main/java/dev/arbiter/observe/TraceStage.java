package dev.arbiter.observe;

import dev.arbiter.error.ArbiterException;
import dev.arbiter.error.ErrorKind;
import dev.arbiter.llm.Frame;
import dev.arbiter.llm.StreamEvent;
import dev.arbiter.llm.Usage;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.pipeline.Stage;
import dev.arbiter.pipeline.Streams;
import dev.arbiter.pipeline.TraceContext;

/**
 * The outermost stage when tracing is on: sets the request's {@link TraceContext} on its trace before any other stage
 * runs (so stage runs and attempts are recorded as spans, and upstream calls carry the context), and hands the request's
 * spans to {@link Tracing} once the answer is complete: a complete answer when it returns, a stream when it closes (its
 * frames are watched as they pass, for the model and usage, never buffered), a failure when it is thrown.
 */
final class TraceStage implements Stage {
    private final Tracing tracing;

    TraceStage(Tracing tracing) {
        this.tracing = tracing;
    }

    @Override
    public String name() {
        return "trace";
    }

    @Override
    public Reply apply(Exchange exchange, Chain next) {
        TraceContext context = tracing.begin(exchange);
        exchange.trace().context(context);
        if (!context.sampled()) return next.proceed(exchange);
        Reply reply;
        try {
            reply = next.proceed(exchange);
        } catch (ArbiterException e) {
            tracing.finish(exchange, RequestSpans.Ending.failed(ErrorKind.of(e).status(), code(e), null));
            throw e;
        } catch (RuntimeException e) {
            tracing.finish(exchange, RequestSpans.Ending.failed(500, "internal_error", null));
            throw e;
        }
        return switch (reply) {
            case Reply.Complete c -> {
                tracing.finish(exchange, new RequestSpans.Ending(200, null, c.servedBy(), c.response().model(), c.response().id(),
                        c.response().usage(), false, c.headers()));
                yield c;
            }
            case Reply.Streaming s -> {
                var watch = new StreamWatch(exchange, s);
                yield s.withStream(Streams.observe(s.stream(), watch::frame, watch::failed, watch::closed));
            }
        };
    }

    private static String code(ArbiterException e) {
        return e.code() != null ? e.code() : ErrorKind.of(e).openAiType();
    }

    /** What a stream showed: the model and id its start named, its usage, its failure. */
    private final class StreamWatch {
        private final Exchange exchange;
        private final Reply.Streaming reply;
        private String model;
        private String id;
        private Usage usage = Usage.NONE;
        private ArbiterException failure;

        StreamWatch(Exchange exchange, Reply.Streaming reply) {
            this.exchange = exchange;
            this.reply = reply;
        }

        void frame(Frame f) {
            for (StreamEvent e : f.events()) {
                switch (e) {
                    case StreamEvent.Started s -> {
                        if (model == null) model = s.model();
                        if (id == null) id = s.id();
                    }
                    case StreamEvent.UsageReported u -> usage = u.usage();
                    default -> { }
                }
            }
        }

        void failed(ArbiterException e) {
            failure = e;
        }

        void closed() {
            tracing.finish(exchange, failure == null
                    ? new RequestSpans.Ending(200, null, reply.servedBy(), model, id, usage, true, reply.headers())
                    : RequestSpans.Ending.failed(ErrorKind.of(failure).status(), code(failure), reply.servedBy()).asStreamed());
        }
    }
}
