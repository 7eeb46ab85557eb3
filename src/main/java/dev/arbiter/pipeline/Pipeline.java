package dev.arbiter.pipeline;

import dev.arbiter.error.ArbiterException;
import java.util.List;

/**
 * The ordered stages a request flows through, outer to inner. The list itself is written once, in
 * {@link dev.arbiter.cli.Gateway}; this class only runs it. The last stage must answer without calling
 * {@code next}: running past it is a bug.
 */
public final class Pipeline {
    private final Stage[] stages;

    public Pipeline(List<Stage> stages) {
        if (stages.isEmpty()) throw new IllegalArgumentException("a pipeline needs at least one stage");
        this.stages = stages.toArray(Stage[]::new);
    }

    public Reply handle(Exchange exchange) {
        return at(0, exchange);
    }

    private Reply at(int i, Exchange exchange) {
        if (i == stages.length) throw new ArbiterException.Internal("pipeline ran past its last stage");
        return stages[i].apply(exchange, ex -> at(i + 1, ex));
    }
}
