package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.wire.Json;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Agents send the model's reasoning back on the next turn of a tool loop, and real APIs reject it when it comes
 * back changed. The mock-upstream enforces the real rules (verified signatures and encrypted content; DeepSeek's
 * reasoning_content on tool turns; Anthropic's thinking-before-tool_use), so these tests fail if Arbiter changes,
 * drops, separates or forges reasoning on its way back.
 */
class ReasoningRoundTripTest {
    static Fixture f;

    @BeforeAll
    static void start() {
        f = new Fixture();
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    static final String TOOLS_ANTHROPIC = "[{\"name\":\"get_weather\",\"input_schema\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}]";

    static ObjectNode messagesTurn(String model, ArrayNode messages, boolean stream) {
        ObjectNode o = Json.object().put("model", model).put("max_tokens", 4000).put("stream", stream);
        o.putObject("thinking").put("type", "enabled").put("budget_tokens", 2048);
        o.set("tools", Json.parse(TOOLS_ANTHROPIC));
        o.set("messages", messages);
        return o;
    }

    /** The assistant content blocks of a Messages answer, streamed or not. */
    static ArrayNode assistantBlocks(String body, boolean stream) {
        if (!stream) return (ArrayNode) Json.parse(body).get("content");
        ArrayNode blocks = Json.array();
        for (String d : EndpointsTest.sseData(body)) {
            JsonNode e = Json.parse(d);
            switch (e.path("type").asText()) {
                case "content_block_start" -> blocks.add(e.get("content_block").deepCopy());
                case "content_block_delta" -> {
                    ObjectNode b = (ObjectNode) blocks.get(blocks.size() - 1);
                    JsonNode delta = e.get("delta");
                    switch (delta.path("type").asText()) {
                        case "thinking_delta" -> b.put("thinking", b.path("thinking").asText() + delta.path("thinking").asText());
                        case "signature_delta" -> b.put("signature", delta.path("signature").asText());
                        case "text_delta" -> b.put("text", b.path("text").asText() + delta.path("text").asText());
                        case "input_json_delta" -> b.put("partial", b.path("partial").asText() + delta.path("partial_json").asText());
                        default -> { }
                    }
                }
                default -> { }
            }
        }
        for (JsonNode b : blocks) {
            if (b.has("partial")) {
                ((ObjectNode) b).set("input", Json.parse(b.get("partial").asText()));
                ((ObjectNode) b).remove("partial");
            }
        }
        return blocks;
    }

    @ParameterizedTest(name = "anthropic client -> {0}")
    @ValueSource(strings = {"chat-openai", "chat-anthropic", "resp-openai"})
    void claudeCodeStyleLoop_thinkingEchoedWithTextOmitted_backendGetsItsOwnReasoningBack(String model) {
        for (boolean stream : new boolean[] {false, true}) {
            ArrayNode messages = Json.array();
            messages.addObject().put("role", "user").put("content", "Weather in Paris?");
            var first = f.post("/v1/messages", Json.string(messagesTurn(model, messages, stream)), Map.of("anthropic-version", "2023-06-01"));
            assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
            ArrayNode blocks = assistantBlocks(first.body(), stream);
            assertThat(blocks.get(0).path("type").asText()).isEqualTo("thinking");
            assertThat(blocks.get(0).path("signature").asText()).isNotEmpty();
            JsonNode toolUse = blocks.get(blocks.size() - 1);
            assertThat(toolUse.path("type").asText()).isEqualTo("tool_use");
            // Claude Code with display "omitted" echoes the thinking text empty and the signature as it came.
            ((ObjectNode) blocks.get(0)).put("thinking", "");
            messages.addObject().put("role", "assistant").set("content", blocks);
            ObjectNode result = messages.addObject().put("role", "user");
            result.putArray("content").addObject().put("type", "tool_result").put("tool_use_id", toolUse.path("id").asText())
                    .put("content", "sunny");
            var second = f.post("/v1/messages", Json.string(messagesTurn(model, messages, stream)), Map.of("anthropic-version", "2023-06-01"));
            assertThat(second.statusCode()).as(model + " stream=" + stream + ": " + second.body()).isEqualTo(200);
            String sent = f.upstream.stats().lastBody();
            assertThat(sent).doesNotContain("arb1.");
            assertThat(nativeReasoning(model, Json.parse(sent))).as(model + " stream=" + stream + ", reasoning before "
                    + "the tool call in " + sent).isNotBlank();
            if (model.equals("resp-openai")) {
                // the Responses API wants the reasoning item back under the id it gave it, streamed or not
                assertThat(reasoningItemId(Json.parse(sent))).as("stream=" + stream + " in " + sent).startsWith("rs_mock-");
            }
        }
    }

    /** The id of the reasoning item right before the function call sent to a Responses backend. */
    static String reasoningItemId(JsonNode sent) {
        return reasoningBeforeCall(sent).path("id").asText();
    }

    /** The reasoning item right before a function call in a Responses request; a missing node when none. */
    static JsonNode reasoningBeforeCall(JsonNode sent) {
        JsonNode input = sent.path("input");
        for (int i = 1; i < input.size(); i++) {
            if (input.get(i).path("type").asText().equals("function_call")
                    && input.get(i - 1).path("type").asText().equals("reasoning")) {
                return input.get(i - 1);
            }
        }
        return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }

    /**
     * The reasoning a backend got back with the tool call it led to, in its own form: the assistant message's
     * {@code reasoning_content} (chat), the signature of the thinking block before the {@code tool_use}
     * (Anthropic), the {@code encrypted_content} of the reasoning item right before the {@code function_call}
     * (Responses); empty when none came back.
     */
    static String nativeReasoning(String model, JsonNode sent) {
        if (model.equals("resp-openai")) return reasoningBeforeCall(sent).path("encrypted_content").asText();
        for (JsonNode m : sent.path("messages")) {
            if (!m.path("role").asText().equals("assistant")) continue;
            if (model.equals("chat-openai") && m.has("tool_calls")) return m.path("reasoning_content").asText();
            JsonNode blocks = m.path("content");
            for (int i = 1; i < blocks.size(); i++) {
                if (blocks.get(i).path("type").asText().equals("tool_use")
                        && blocks.get(i - 1).path("type").asText().equals("thinking")) {
                    return blocks.get(i - 1).path("signature").asText();
                }
            }
        }
        return "";
    }

    @Test
    void alteredEnvelope_droppedNeverForwarded() {
        ArrayNode messages = Json.array();
        messages.addObject().put("role", "user").put("content", "Weather in Paris?");
        var first = f.post("/v1/messages", Json.string(messagesTurn("chat-openai", messages, false)));
        ArrayNode blocks = assistantBlocks(first.body(), false);
        String sig = blocks.get(0).path("signature").asText();
        ((ObjectNode) blocks.get(0)).put("signature", sig.substring(0, sig.length() - 3) + "xyz");
        messages.addObject().put("role", "assistant").set("content", blocks);
        messages.addObject().put("role", "user").putArray("content").addObject().put("type", "tool_result")
                .put("tool_use_id", blocks.get(blocks.size() - 1).path("id").asText()).put("content", "sunny");
        var second = f.post("/v1/messages", Json.string(messagesTurn("chat-openai", messages, false)));
        String sent = f.upstream.stats().lastBody();
        assertThat(sent).doesNotContain("arb1.").doesNotContain("reasoning_content");
        // the strict backend then refuses the tool turn, as DeepSeek does: a clear 400, not a forged signature
        assertThat(second.statusCode()).isEqualTo(400);
        assertThat(Json.parse(second.body()).at("/error/message").asText()).contains("reasoning_content");
    }

    @ParameterizedTest(name = "responses client -> {0}")
    @ValueSource(strings = {"chat-anthropic", "chat-openai", "resp-openai"})
    void codexStyleLoop_storeFalse_reasoningItemStaysBeforeItsCall(String model) {
        for (boolean stream : new boolean[] {false, true}) {
            ObjectNode req = Json.object().put("model", model).put("stream", stream).put("store", false);
            req.putObject("reasoning").put("effort", "medium");
            req.putArray("include").add("reasoning.encrypted_content");
            req.set("tools", Json.parse("[{\"type\":\"function\",\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}]"));
            ArrayNode input = req.putArray("input");
            input.addObject().put("type", "message").put("role", "user").putArray("content").addObject()
                    .put("type", "input_text").put("text", "Weather in Paris?");
            var first = f.post("/v1/responses", Json.string(req));
            assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
            Turn t = Turn.responses(first.body(), stream);
            assertThat(t.complete()).isTrue();
            JsonNode output = t.raw().get("output");
            assertThat(output.get(0).path("type").asText()).isEqualTo("reasoning");
            assertThat(output.get(0).path("encrypted_content").asText()).isNotEmpty();
            JsonNode call = output.get(output.size() - 1);
            assertThat(call.path("type").asText()).isEqualTo("function_call");
            for (JsonNode item : output) input.add(item.deepCopy());
            input.addObject().put("type", "function_call_output").put("call_id", call.path("call_id").asText()).put("output", "sunny");
            var second = f.post("/v1/responses", Json.string(req));
            assertThat(second.statusCode()).as(model + " stream=" + stream + ": " + second.body()).isEqualTo(200);
            assertThat(Turn.responses(second.body(), stream).text()).isNotBlank();
            assertThat(f.upstream.stats().lastBody()).doesNotContain("arb1.");
        }
    }

    @ParameterizedTest(name = "apply_patch via {0}")
    @ValueSource(strings = {"resp-openai", "chat-openai", "chat-anthropic"})
    void codexApplyPatch_customToolArrivesAsRawTextInCustomToolCall(String model) {
        for (boolean stream : new boolean[] {false, true}) {
            ObjectNode req = Json.object().put("model", model).put("stream", stream).put("store", false).put("input", "Add hello.txt");
            req.set("tools", Json.parse("""
                    [{"type":"custom","name":"apply_patch","description":"Apply a patch",
                      "format":{"type":"grammar","syntax":"lark","definition":"start: /.+/s"}}]"""));
            var r = f.post("/v1/responses", Json.string(req));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            Turn t = Turn.responses(r.body(), stream);
            assertThat(t.calls()).singleElement().satisfies(c -> {
                assertThat(c.custom()).as("custom_tool_call, not a JSON function call").isTrue();
                assertThat(c.name()).isEqualTo("apply_patch");
                assertThat(c.arguments()).doesNotStartWith("{");
            });
            if (model.equals("resp-openai")) {
                assertThat(t.calls().getFirst().arguments()).isEqualTo("*** Begin Patch\n*** Add File: hello.txt\n+Hello \"mock\"\n*** End Patch\n");
            }
        }
    }

    @Test
    void hostedTools_droppedForBackendsThatCannotRunThem_andNamedInAHeader() {
        ObjectNode req = Json.object().put("model", "chat-openai").put("input", "hi");
        req.set("tools", Json.parse("[{\"type\":\"web_search\"},{\"type\":\"function\",\"name\":\"f\",\"parameters\":{\"type\":\"object\"}}]"));
        var r = f.post("/v1/responses", Json.string(req));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-arbiter-dropped-tools")).hasValue("web_search");
    }

    @Test
    void cacheControl_neverSentToNonAnthropicBackends() {
        String body = """
                {"model":"chat-openai","max_tokens":50,"system":[{"type":"text","text":"sys","cache_control":{"type":"ephemeral"}}],
                 "messages":[{"role":"user","content":[{"type":"text","text":"hi","cache_control":{"type":"ephemeral"}}]}]}""";
        var r = f.post("/v1/messages", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(f.upstream.stats().lastBody()).doesNotContain("cache_control");
        var a = f.post("/v1/messages", body.replace("chat-openai", "chat-anthropic"));
        assertThat(a.statusCode()).isEqualTo(200);
        assertThat(f.upstream.stats().lastBody()).contains("cache_control");
        assertThat(Json.parse(a.body()).at("/usage/cache_creation_input_tokens").asLong()
                + Json.parse(a.body()).at("/usage/cache_read_input_tokens").asLong()).isPositive();
    }

    @Test
    void countTokens_anthropicCountsForAnthropicBackends_estimateOtherwise_systemAndToolsIncluded() {
        String base = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]%s}";
        var plain = f.post("/v1/messages/count_tokens", base.formatted("chat-anthropic", ""));
        assertThat(plain.statusCode()).as(plain.body()).isEqualTo(200);
        assertThat(plain.headers().firstValue("x-arbiter-token-count")).hasValue("anthropic");
        long p = Json.parse(plain.body()).get("input_tokens").asLong();
        var withTools = f.post("/v1/messages/count_tokens", base.formatted("chat-anthropic",
                ",\"system\":\"You are a careful assistant.\",\"tools\":" + TOOLS_ANTHROPIC));
        assertThat(Json.parse(withTools.body()).get("input_tokens").asLong()).isGreaterThan(p);
        var est = f.post("/v1/messages/count_tokens", base.formatted("chat-openai", ""));
        assertThat(est.headers().firstValue("x-arbiter-token-count")).hasValue("estimate");
        long e = Json.parse(est.body()).get("input_tokens").asLong();
        var estTools = f.post("/v1/messages/count_tokens", base.formatted("chat-openai",
                ",\"system\":\"You are a careful assistant.\",\"tools\":" + TOOLS_ANTHROPIC));
        assertThat(Json.parse(estTools.body()).get("input_tokens").asLong()).isGreaterThan(e);
    }

    @Test
    void anthropicBeta_neverSentToOtherBackends() {
        var r = f.post("/v1/messages", "{\"model\":\"chat-openai\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                Map.of("anthropic-beta", "context-management-2025-06-27", "anthropic-version", "2023-06-01"));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(f.upstream.stats().lastHeaders()).doesNotContainKeys("anthropic-beta", "anthropic-version");
    }
}
