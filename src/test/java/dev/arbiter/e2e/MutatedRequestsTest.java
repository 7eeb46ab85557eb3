package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.wire.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hostile input, generated: the requests real agents send (../shared/data/agent-requests, read in place), mutated
 * at random (values replaced by nulls, wrong types, huge numbers, control characters and non-ASCII; keys deleted
 * or added; elements doubled; bodies cut short), with a fixed seed, sent to every POST endpoint and every kind of
 * backend. Whatever comes in, the answer is a success in the endpoint's format or a 4xx in its error format: never
 * a 5xx, an empty body or a hang. The same idea, run for minutes from outside, found a 500 in a response header
 * made from a tool's type and a 500 from the mock on an empty input; this bounded run (2,000 requests, seconds)
 * catches the second when it is put back, not the first (BadInputTest holds that one).
 */
class MutatedRequestsTest {
    private static final Path FIXTURES = Path.of(System.getProperty("user.dir")).resolve("../shared/data/agent-requests");
    private static final String[] PATHS = {"/v1/chat/completions", "/v1/messages", "/v1/responses", "/v1/completions",
            "/v1/embeddings", "/v1/messages/count_tokens"};
    private static final String[] MODELS = {"mock-chat", "chat-openai", "chat-anthropic", "resp-openai"};
    private static final int REQUESTS = 2000;
    static Fixture f;

    @BeforeAll
    static void start() {
        f = new Fixture();
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    private record Captured(String path, ObjectNode body) {}

    private static List<Captured> captured() throws IOException {
        if (!Files.isDirectory(FIXTURES)) return List.of();
        var out = new ArrayList<Captured>();
        try (Stream<Path> files = Files.list(FIXTURES)) {
            for (Path p : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                JsonNode d = Json.MAPPER.readTree(p.toFile());
                if (d.path("body") instanceof ObjectNode body) out.add(new Captured(d.path("path").asText(), body));
            }
        }
        return out;
    }

    @Test
    void mutatedAgentRequests_neverA5xxAlwaysTheApisFormat() throws IOException {
        List<Captured> seeds = captured();
        assumeThat(seeds).as("agent requests at %s", FIXTURES).isNotEmpty();   // skipped without ../shared, as the codec tests
        var random = new Random(20261202);
        var problems = new ArrayList<String>();
        for (int i = 0; i < REQUESTS && problems.size() < 5; i++) {
            Captured c = seeds.get(random.nextInt(seeds.size()));
            ObjectNode body = c.body().deepCopy();
            if (body.has("model")) body.put("model", MODELS[random.nextInt(MODELS.length)]);
            String path = random.nextInt(10) < 7 ? c.path() : PATHS[random.nextInt(PATHS.length)];
            // mostly one change, so that most requests stay valid enough to reach a backend
            int mutations = random.nextInt(10) < 6 ? 1 : 2 + random.nextInt(3);
            for (int m = 0; m < mutations; m++) mutate(body, random);
            if (random.nextInt(10) < 3) body.set("stream", pick(random, Json.NODES.booleanNode(true), Json.NODES.booleanNode(false),
                    Json.NODES.nullNode(), Json.NODES.textNode("yes")));
            String text = Json.string(body);
            if (random.nextInt(20) == 0) text = text.substring(0, random.nextInt(text.length()));
            var r = f.post(path, text, java.util.Map.of("anthropic-version", "2023-06-01"));
            String problem = problem(path, r.statusCode(), r.headers().firstValue("content-type").orElse(""), r.body());
            if (problem != null) problems.add(problem + "\n    request: " + text.substring(0, Math.min(600, text.length())));
        }
        assertThat(problems).as("answers that broke the contract").isEmpty();
    }

    /** What is wrong with an answer, or null. */
    private static String problem(String path, int status, String contentType, String body) {
        if (status >= 500) return path + " answered " + status + ": " + body;
        if (status >= 400) {
            JsonNode e;
            try {
                e = Json.parse(body);
            } catch (RuntimeException x) {
                return path + " answered " + status + " with a body that is not JSON: " + body;
            }
            boolean ok = path.startsWith("/v1/messages")
                    ? "error".equals(e.path("type").asText()) && e.path("error").path("message").isTextual()
                    : e.path("error").path("message").isTextual();
            return ok ? null : path + " answered " + status + " outside the API's error format: " + body;
        }
        if (contentType.startsWith("text/event-stream")) return body.isEmpty() ? path + " answered an empty stream" : null;
        try {
            Json.parse(body);
            return null;
        } catch (RuntimeException x) {
            return path + " answered " + status + " with a body that is not JSON: " + body;
        }
    }

    private static final JsonNodeFactory N = Json.NODES;

    private static JsonNode value(Random random) {
        return switch (random.nextInt(16)) {
            case 0 -> N.nullNode();
            case 1 -> N.numberNode(0);
            case 2 -> N.numberNode(-1);
            case 3 -> N.numberNode(1e308);
            case 4 -> N.numberNode(Long.MAX_VALUE);
            case 5 -> N.textNode("");
            case 6 -> N.textNode("\u0000\r\nx-evil: 1\u007f");
            case 7 -> N.textNode("é漢字🙂");
            case 8 -> N.arrayNode();
            case 9 -> N.objectNode();
            case 10 -> N.booleanNode(true);
            case 11 -> N.arrayNode().add(N.nullNode());
            case 12 -> N.objectNode().putNull("type");
            case 13 -> N.objectNode().put("type", pick(random, "text", "image_url", "tool_use", "tool_result", "function_call",
                    "reasoning", "input_image", "web_search", "item_reference"));
            case 14 -> N.textNode("9".repeat(400));
            default -> N.textNode("mock-chat");
        };
    }

    /**
     * One random change somewhere in the tree; a third of them hit a {@code type} discriminator (of a message part,
     * an item, a tool), where formats differ most and the caller's text travels furthest.
     */
    private static void mutate(ObjectNode root, Random random) {
        var containers = new ArrayList<JsonNode>();
        collect(root, containers);
        var typed = containers.stream().filter(n -> n.has("type")).toList();
        if (!typed.isEmpty() && random.nextInt(3) == 0) {
            ((ObjectNode) typed.get(random.nextInt(typed.size()))).set("type", random.nextBoolean() ? value(random)
                    : N.textNode(pick(random, "hologram", "web_search", "custom", "\u0000evil\r\nx: 1", "caf\u00e9", "", "text")));
            return;
        }
        JsonNode parent = containers.get(random.nextInt(containers.size()));
        int action = random.nextInt(10);
        if (parent instanceof ObjectNode o) {
            var names = new ArrayList<String>();
            o.fieldNames().forEachRemaining(names::add);
            if (names.isEmpty() || action >= 8) {
                o.set("zz_" + random.nextInt(100), value(random));
                return;
            }
            String name = names.get(random.nextInt(names.size()));
            if (action < 5) o.set(name, value(random));
            else if (action < 7) o.remove(name);
            else o.set(name, N.arrayNode().add(o.get(name)).add(o.get(name).deepCopy()));
        } else if (parent instanceof ArrayNode a) {
            if (a.isEmpty() || action >= 8) {
                a.add(value(random));
                return;
            }
            int i = random.nextInt(a.size());
            if (action < 5) a.set(i, value(random));
            else if (action < 7) a.remove(i);
            else a.add(a.get(i).deepCopy());
        }
    }

    private static void collect(JsonNode node, List<JsonNode> out) {
        if (!node.isContainerNode()) return;
        out.add(node);
        node.forEach(child -> collect(child, out));
    }

    @SafeVarargs
    private static <T> T pick(Random random, T... options) {
        return options[random.nextInt(options.length)];
    }
}
