package dev.arbiter.pipeline;

/**
 * One step of the request flow. A stage may answer itself (a cache hit, a rejection by throwing an
 * {@link dev.arbiter.error.ArbiterException}), or call {@code next.proceed(exchange)} once or more (a retry)
 * and return or wrap what it gets. Stages run on the request's virtual thread and may block.
 */
@FunctionalInterface
public interface Stage {
    Reply apply(Exchange exchange, Chain next);

    /** The stage's name in traces and metrics: its class name without {@code Stage}, lower-case. */
    default String name() {
        String n = getClass().getSimpleName();
        if (n.endsWith("Stage") && n.length() > 5) n = n.substring(0, n.length() - 5);
        return n.isEmpty() ? "stage" : n.toLowerCase(java.util.Locale.ROOT);
    }

    /** The rest of the pipeline after a stage. */
    @FunctionalInterface
    interface Chain {
        Reply proceed(Exchange exchange);
    }
}
