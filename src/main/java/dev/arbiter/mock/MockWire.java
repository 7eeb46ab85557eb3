package dev.arbiter.mock;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The JSON and server-sent-event encoding shared by the fake's wire writers. */
final class MockWire {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final byte[] DONE = sse(null, "[DONE]");

    private MockWire() {}

    static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode parse(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One server-sent event, blank line included; {@code data} holds no newline. */
    static byte[] sse(String event, String data) {
        String s = event == null ? "data: " + data + "\n\n" : "event: " + event + "\ndata: " + data + "\n\n";
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] data(ObjectNode chunk) {
        return sse(null, chunk.toString());
    }

    /** The texts of a content value, a string or the {@code text} of each part that has one, joined by newlines. */
    static String texts(JsonNode content) {
        if (content == null) return "";
        if (content.isTextual()) return content.asText();
        var out = new ArrayList<String>();
        for (JsonNode part : content) if (part.path("text").isTextual()) out.add(part.get("text").asText());
        return String.join("\n", out);
    }

    static int steps(List<MockAnswer.Alternative> alts) {
        int steps = 0;
        for (var alt : alts) steps = Math.max(steps, alt.reasoning().size() + alt.deltas().size());
        return steps;
    }
}
