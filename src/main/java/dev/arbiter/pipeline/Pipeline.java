package dev.arbiter.pipeline;

import dev.arbiter.error.ArbiterException;
import java.util.List;

/**
 * The ordered stages a request flows through, outer to inner. The list itself is written once, in
 * CLI wiring ({@code cli/Gateway}); this class only runs it. The last stage must answer without calling
 * {@code next}: running past it is a bug.
 */
public final class Pipeline {
    private final Stage[] stages;
    private final String[] names;

    public Pipeline(List<Stage> stages) {
        if (stages.isEmpty()) throw new IllegalArgumentException("a pipeline needs at least one stage");
        this.stages = stages.toArray(Stage[]::new);
        this.names = stages.stream().map(Stage::name).toArray(String[]::new);
    }

    /** The stages' names, outer to inner. */
    public List<String> names() {
        return List.of(names);
    }

    public Reply handle(Exchange exchange) {
        return at(0, exchange);
    }

    /**
     * Runs stage {@code i} and records its own time in the trace: from its start to its return, less the time spent
     * in the stages inside it (for a stream, up to the reply's return, not the stream's end). The same two clock
     * readings mark the stage's span when the trace keeps spans.
     */
    private Reply at(int i, Exchange exchange) {
        if (i == stages.length) throw new ArbiterException.Internal("pipeline ran past its last stage");
        Trace trace = exchange.trace();
        var clock = trace.clock();
        long start = clock.getAsLong();
        int run = trace.stageStarted(names[i], start);
        long[] inner = new long[1];
        boolean failed = true;
        try {
            Reply r = stages[i].apply(exchange, ex -> {
                long t = clock.getAsLong();
                try {
                    return at(i + 1, ex);
                } finally {
                    inner[0] += clock.getAsLong() - t;
                }
            });
            failed = false;
            return r;
        } finally {
            long end = clock.getAsLong();
            trace.stageEnded(run, names[i], end - start - inner[0], end, failed);
        }
    }
}
