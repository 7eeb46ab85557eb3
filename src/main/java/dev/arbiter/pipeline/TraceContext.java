package dev.arbiter.pipeline;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A span's identity in W3C Trace Context terms (https://www.w3.org/TR/trace-context/): the trace it belongs to, its
 * own span id, the span it continues ({@code parentSpanId}, null for a trace's first span), whether the trace is
 * sampled (recorded and exported) and the caller's {@code tracestate}, passed on unchanged (null when none came).
 *
 * <p>When tracing is on, the tracing stage sets the request's context on its {@link Trace}; each upstream attempt then
 * gets a child context of its own ({@link Trace.Attempt#context()}), which its exchange carries to the provider under
 * {@link #UPSTREAM} and the provider sends as {@code traceparent}. Ids are lower-case hex, 32 and 16 digits, never all
 * zeros.
 */
public record TraceContext(String traceId, String spanId, String parentSpanId, boolean sampled, String traceState) {
    /** The context of the upstream call an attempt is making, on the exchange it hands its provider. */
    public static final Attribute<TraceContext> UPSTREAM = Attribute.of("upstream-trace-context", TraceContext.class);

    private static final HexFormat HEX = HexFormat.of();

    public TraceContext {
        if (traceId == null || traceId.length() != 32) throw new IllegalArgumentException("trace id: 32 hex digits expected");
        if (spanId == null || spanId.length() != 16) throw new IllegalArgumentException("span id: 16 hex digits expected");
    }

    /** The {@code traceparent} header naming this span as the parent of whatever receives it. */
    public String traceparent() {
        return "00-" + traceId + "-" + spanId + (sampled ? "-01" : "-00");
    }

    /** A new span of this trace, child of this one. */
    public TraceContext child() {
        return new TraceContext(traceId, newSpanId(), spanId, sampled, traceState);
    }

    /** A random, non-zero span id. */
    public static String newSpanId() {
        long id;
        do {
            id = ThreadLocalRandom.current().nextLong();
        } while (id == 0);
        return HEX.toHexDigits(id);
    }

    /** A random, non-zero trace id. */
    public static String newTraceId() {
        var r = ThreadLocalRandom.current();
        long hi = r.nextLong();
        long lo;
        do {
            lo = r.nextLong();
        } while (lo == 0);
        return HEX.toHexDigits(hi) + HEX.toHexDigits(lo);
    }
}
