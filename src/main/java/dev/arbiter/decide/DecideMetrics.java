package dev.arbiter.decide;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The decision engine's counters, made once for every configured route, candidate and feedback kind (labels are
 * only configured names): {@code arbiter_decide_decisions_total{route, model}} and
 * {@code arbiter_decide_feedback_total{route, kind}}.
 */
final class DecideMetrics {
    static final List<String> FEEDBACK_KINDS = List.of("score", "thumbs", "rating", "completed");

    private final Map<String, Counter[]> decisions = new HashMap<>();
    private final Map<String, Map<String, Counter>> feedback = new HashMap<>();

    DecideMetrics(MeterRegistry registry, Iterable<Router> routers) {
        for (Router r : routers) {
            Counter[] perModel = new Counter[r.candidates().size()];
            for (int i = 0; i < perModel.length; i++) {
                perModel[i] = Counter.builder("arbiter.decide.decisions").description("Requests a route sent to a model")
                        .tag("route", r.name()).tag("model", r.candidates().get(i).name()).register(registry);
            }
            decisions.put(r.name(), perModel);
            var kinds = new HashMap<String, Counter>();
            for (String k : FEEDBACK_KINDS) {
                kinds.put(k, Counter.builder("arbiter.decide.feedback").description("Feedback taken, by kind")
                        .tag("route", r.name()).tag("kind", k).register(registry));
            }
            feedback.put(r.name(), kinds);
        }
    }

    void decided(Router r, int arm) {
        decisions.get(r.name())[arm].increment();
    }

    void feedback(Router r, String kind) {
        Counter c = feedback.get(r.name()).get(kind);
        if (c != null) c.increment();
    }
}
