package dev.arbiter.provider;

import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.TraceContext;
import java.util.Map;

/**
 * The W3C trace context headers of an upstream call. With tracing on, the attempt's own span context (so the
 * upstream's spans are children of the attempt's): {@code traceparent} with the attempt's span id, and the caller's
 * {@code tracestate} unchanged. With tracing off, the caller's own {@code traceparent} and {@code tracestate}, passed
 * through unchanged, as a proxy that takes no part in the trace does: a map lookup, and the upstream's spans still join
 * the caller's trace. Values longer than the W3C limits are not passed on.
 */
final class TraceHeaders {
    static final String TRACEPARENT = "traceparent";
    static final String TRACESTATE = "tracestate";
    /** {@code traceparent} is 55 characters in version 00; later versions may add fields. */
    private static final int MAX_TRACEPARENT = 256;
    /** At most 32 list members of at most 256 characters; 512 is what the spec says a vendor must pass on. */
    private static final int MAX_TRACESTATE = 8192;

    private TraceHeaders() {}

    /** Adds the call's trace context headers to {@code headers}. */
    static void add(Map<String, String> headers, Exchange exchange) {
        var upstream = exchange.attribute(TraceContext.UPSTREAM);
        if (upstream.isPresent()) {
            TraceContext c = upstream.get();
            headers.put(TRACEPARENT, c.traceparent());
            if (c.traceState() != null) headers.put(TRACESTATE, c.traceState());
            else headers.remove(TRACESTATE);
            return;
        }
        String parent = exchange.headers().get(TRACEPARENT);
        if (parent == null || parent.length() > MAX_TRACEPARENT) return;
        headers.put(TRACEPARENT, parent);
        String state = exchange.headers().get(TRACESTATE);
        if (state != null && state.length() <= MAX_TRACESTATE) headers.put(TRACESTATE, state);
    }
}
