package dev.arbiter.wire;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Shared JSON plumbing. {@link #MAPPER} reads trusted bodies (upstream answers, config) with generous
 * limits; client bodies go through a {@link #requestMapper} built from the server's configured limits.
 */
public final class Json {
    public static final ObjectMapper MAPPER = mapper(1000, 64 * 1024 * 1024);
    public static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Json() {}

    /** A mapper that rejects nesting deeper than {@code maxDepth} and strings longer than {@code maxString}. */
    public static ObjectMapper requestMapper(int maxDepth, int maxString) {
        return mapper(maxDepth, maxString);
    }

    private static ObjectMapper mapper(int maxDepth, int maxString) {
        var factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(maxDepth)
                        .maxStringLength(maxString)
                        .maxNumberLength(1000)
                        .build())
                .build();
        // Floats are read as doubles: their shortest form prints back as sent (0.7 stays 0.7), and BigDecimal
        // nodes cost several microseconds per number on every pass-through body.
        return new ObjectMapper(factory).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    public static ObjectNode object() {
        return NODES.objectNode();
    }

    public static ArrayNode array() {
        return NODES.arrayNode();
    }

    public static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String string(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses trusted JSON text; throws {@link IOException} wrapped as unchecked when it is not JSON. */
    public static JsonNode parse(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static JsonNode parse(byte[] bytes) {
        try {
            return MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The text of a field, or null when absent, null or not a string. */
    public static String text(JsonNode n, String field) {
        JsonNode v = n == null ? null : n.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    public static long longOr(JsonNode n, String field, long dflt) {
        JsonNode v = n == null ? null : n.get(field);
        return v != null && v.isNumber() ? v.asLong() : dflt;
    }
}
