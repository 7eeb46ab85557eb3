package dev.arbiter.decide;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.Operation;
import dev.arbiter.llm.WireFormat;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code POST /v1/feedback}: {@code {"request_id", "score" (0..1) | "thumbs" ("up"/"down" or true/false) | "rating"
 * (1..5) | "completed" (bool), "comment"}}. Each signal becomes a quality in [0, 1] the route's policy learns from.
 * The body travels through the pipeline as a request of its own (so the caller is identified the same way as for any
 * request) and {@link DecideStage} answers it.
 */
public final class Feedback {
    static final String MARK = "arbiter_feedback";

    private Feedback() {
    }

    /** The pipeline request carrying a feedback body (the edge calls this). */
    public static LlmRequest request(ObjectNode body) {
        // rides the stored-response operation: answered from Arbiter's own state, never sent upstream, encoded as the
        // raw JSON the stage returns (a dedicated operation would touch every provider's switch)
        ObjectNode extra = body.deepCopy();
        extra.put(MARK, true);
        return LlmRequest.builder(Operation.STORED_RESPONSE, WireFormat.OPENAI_RESPONSES).extra(extra).build();
    }

    static boolean is(LlmRequest req) {
        return req.operation() == Operation.STORED_RESPONSE && req.extra().path(MARK).asBoolean(false);
    }

    /** One signal: its kind and its quality. */
    record Signal(String kind, double quality) {
    }

    static String requestId(LlmRequest req) {
        JsonNode id = req.extra().get("request_id");
        if (id == null || !id.isTextual() || id.asText().isBlank()) {
            throw new ArbiterException.BadRequest("request_id: a string naming the request (its x-request-id) is required.", "request_id");
        }
        return id.asText();
    }

    static List<Signal> signals(LlmRequest req) {
        JsonNode b = req.extra();
        var out = new ArrayList<Signal>();
        if (b.has("score")) {
            double s = b.get("score").asDouble(Double.NaN);
            if (!b.get("score").isNumber() || s < 0 || s > 1) throw bad("score", "a number in [0, 1]");
            out.add(new Signal("score", s));
        }
        if (b.has("thumbs")) {
            JsonNode t = b.get("thumbs");
            boolean up;
            if (t.isBoolean()) up = t.asBoolean();
            else if (t.isTextual() && (t.asText().equals("up") || t.asText().equals("down"))) up = t.asText().equals("up");
            else throw bad("thumbs", "\"up\" | \"down\" | true | false");
            out.add(new Signal("thumbs", up ? 1 : 0));
        }
        if (b.has("rating")) {
            JsonNode r = b.get("rating");
            if (!r.isIntegralNumber() || r.asInt() < 1 || r.asInt() > 5) throw bad("rating", "an integer 1..5");
            out.add(new Signal("rating", (r.asInt() - 1) / 4.0));
        }
        if (b.has("completed")) {
            if (!b.get("completed").isBoolean()) throw bad("completed", "true | false");
            out.add(new Signal("completed", b.get("completed").asBoolean() ? 1 : 0));
        }
        if (b.has("comment") && !b.get("comment").isTextual()) throw bad("comment", "a string");
        if (out.isEmpty() && !b.has("comment")) throw bad("score", "one of score, thumbs, rating, completed or comment");
        return out;
    }

    private static ArbiterException bad(String field, String expected) {
        return new ArbiterException.BadRequest(field + ": expected " + expected + ".", field);
    }
}
