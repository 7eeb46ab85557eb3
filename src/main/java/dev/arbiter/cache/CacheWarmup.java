package dev.arbiter.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.chat.ChatCodec;
import dev.arbiter.chat.ChatResponses;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.error.Untrusted;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.LlmResponse;
import dev.arbiter.messages.MessagesCodec;
import dev.arbiter.responses.ResponsesCodec;
import dev.arbiter.wire.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BiFunction;

/**
 * Fills the cache from a JSONL file on the gateway's machine ({@code POST /admin/cache/warm {"file": "..."}}): one
 * answer per line, {@code {"api": "chat" | "messages" | "responses", "request": {...}, "response": {...}, "scope":
 * "..."}}, the request and response as that API's bodies ({@code api} defaults to chat). {@code scope} is whose entry
 * it is: a caller id, or by default the configured shared namespace ({@code anonymous} without one). A line that does
 * not read is skipped and reported (the first ten), never half-stored.
 */
final class CacheWarmup {
    private static final int REPORTED = 10;

    private CacheWarmup() {}

    /** {@code store(key scope, request, response)} stores one answer; returns false when it was not stored. */
    static ObjectNode load(Path file, String defaultScope, Store store) {
        long loaded = 0;
        long skipped = 0;
        ObjectNode out = Json.object();
        var problems = out.putArray("problems");
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = in.readLine()) != null) {
                n++;
                if (line.isBlank()) continue;
                try {
                    JsonNode entry = Json.parse(line);
                    String api = entry.path("api").asText("chat");
                    BiFunction<ObjectNode, ObjectNode, Boolean> put = (req, resp) -> store.put(
                            entry.path("scope").asText(defaultScope), request(api, req), response(api, resp));
                    if (!(entry.get("request") instanceof ObjectNode req) || !(entry.get("response") instanceof ObjectNode resp)) {
                        throw new IllegalArgumentException("request and response must be JSON objects");
                    }
                    if (put.apply(req, resp)) loaded++;
                    else skipped++;
                } catch (RuntimeException e) {
                    skipped++;
                    if (problems.size() < REPORTED) {
                        problems.addObject().put("line", n).put("problem", Untrusted.text(String.valueOf(e.getMessage()), 200));
                    }
                }
            }
        } catch (IOException e) {
            throw new ArbiterException.BadRequest("cannot read the warm-up file " + Untrusted.text(file.toString(), 200)
                    + ": " + Untrusted.text(String.valueOf(e.getMessage()), 200), "file");
        }
        return out.put("loaded", loaded).put("skipped", skipped);
    }

    /** Stores one answer. */
    @FunctionalInterface
    interface Store {
        boolean put(String scope, LlmRequest request, LlmResponse response);
    }

    private static LlmRequest request(String api, ObjectNode body) {
        return switch (api) {
            case "chat" -> ChatCodec.decodeRequest(body);
            case "messages" -> MessagesCodec.decodeRequest(body);
            case "responses" -> ResponsesCodec.decodeRequest(body);
            default -> throw new IllegalArgumentException("api: " + api + " (expected: chat | messages | responses)");
        };
    }

    private static LlmResponse response(String api, ObjectNode body) {
        return switch (api) {
            case "chat" -> ChatResponses.decode(body);
            case "messages" -> MessagesCodec.decodeResponse(body);
            default -> ResponsesCodec.decodeResponse(body);
        };
    }
}
