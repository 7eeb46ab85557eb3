package dev.arbiter.decide;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.wire.Json;
import java.util.ArrayList;

/** A decision as JSON: what the admin API shows and what PostgreSQL keeps, read back for feedback after a restart. */
final class DecisionJson {
    private DecisionJson() {
    }

    static ObjectNode write(Router.Decision d) {
        ObjectNode out = Json.object().put("route", d.route()).put("policy", d.policy()).put("model", d.model())
                .put("chosen", d.chosen()).put("task_type", d.taskType());
        ArrayNode cands = out.putArray("candidates");
        for (Router.Candidate c : d.candidates()) {
            cands.addObject().put("model", c.model()).put("quality", c.quality()).put("cost_usd", c.cost())
                    .put("p95_latency_ms", c.latencyMillis()).put("excluded", c.excluded().isEmpty() ? null : c.excluded())
                    .put("pareto", c.pareto()).put("score", c.score());
        }
        ArrayNode pareto = out.putArray("pareto");
        d.candidates().stream().filter(Router.Candidate::pareto).forEach(c -> pareto.add(c.model()));
        ArrayNode features = out.putArray("features");
        for (double f : d.features()) features.add(f);
        return out;
    }

    static Router.Decision read(JsonNode n) {
        var cands = new ArrayList<Router.Candidate>();
        for (JsonNode c : n.get("candidates")) {
            cands.add(new Router.Candidate(c.get("model").asText(), c.get("quality").asDouble(), c.get("cost_usd").asDouble(),
                    c.get("p95_latency_ms").asDouble(), c.get("excluded").isNull() ? "" : c.get("excluded").asText(),
                    c.get("pareto").asBoolean(), c.get("score").asDouble()));
        }
        double[] features = new double[n.get("features").size()];
        for (int i = 0; i < features.length; i++) features[i] = n.get("features").get(i).asDouble();
        return new Router.Decision(n.get("route").asText(), n.get("policy").asText(), n.get("chosen").asInt(), n.get("model").asText(),
                cands, features, n.get("task_type").asText());
    }
}
