package dev.arbiter.chat;

import dev.arbiter.wire.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.Choice;
import dev.arbiter.llm.FinishReason;
import dev.arbiter.llm.LlmResponse;
import dev.arbiter.llm.Message;
import dev.arbiter.llm.Part;
import dev.arbiter.llm.Role;
import dev.arbiter.llm.Usage;
import dev.arbiter.llm.WireFormat;
import java.util.ArrayList;
import java.util.List;

/** OpenAI chat completion and legacy completion answers, to and from the internal model. */
public final class ChatResponses {
    private ChatResponses() {}

    public static LlmResponse decode(ObjectNode body) {
        JsonNode choices = body.get("choices");
        if (choices == null || !choices.isArray()) {
            throw new ArbiterException.Upstream(502, "upstream answer has no choices", "upstream_bad_response", null);
        }
        var out = new ArrayList<Choice>(choices.size());
        for (int i = 0; i < choices.size(); i++) {
            JsonNode c = choices.get(i);
            var parts = new ArrayList<Part>();
            JsonNode msg = c.get("message");
            if (msg != null && msg.isObject()) {
                String reasoning = Json.text(msg, "reasoning_content");
                if (reasoning == null) reasoning = Json.text(msg, "reasoning");
                if (reasoning != null) parts.add(new Part.Reasoning(reasoning, null, null, false, null, null, null));
                String content = Json.text(msg, "content");
                if (content != null) parts.add(Part.Text.of(content));
                JsonNode calls = msg.get("tool_calls");
                if (calls != null && calls.isArray()) {
                    for (JsonNode call : calls) {
                        if ("custom".equals(Json.text(call, "type"))) {
                            JsonNode cu = call.path("custom");
                            parts.add(new Part.CustomToolCall(Json.text(call, "id"), Json.text(cu, "name"), Json.text(cu, "input"), null));
                        } else {
                            JsonNode fn = call.path("function");
                            parts.add(new Part.ToolCall(Json.text(call, "id"), Json.text(fn, "name"), Json.text(fn, "arguments"), null));
                        }
                    }
                }
            } else if (c.has("text")) {
                parts.add(Part.Text.of(c.get("text").asText()));
            }
            int index = c.path("index").asInt(i);
            out.add(new Choice(index, new Message(Role.ASSISTANT, parts, null, null),
                    FinishReason.fromOpenAi(Json.text(c, "finish_reason")), null, c.get("logprobs")));
        }
        return new LlmResponse(Json.text(body, "id"), Json.text(body, "model"), Json.longOr(body, "created", 0), out,
                decodeUsage(body.get("usage")), WireFormat.OPENAI_CHAT, body);
    }

    /** OpenAI usage, for chat, completions and embeddings; null or absent gives {@link Usage#NONE}. */
    public static Usage decodeUsage(JsonNode u) {
        if (u == null || !u.isObject()) return Usage.NONE;
        long in = Json.longOr(u, "prompt_tokens", Json.longOr(u, "input_tokens", 0));
        long out = Json.longOr(u, "completion_tokens", Json.longOr(u, "output_tokens", 0));
        long cached = u.path("prompt_tokens_details").path("cached_tokens").asLong(0);
        long reasoning = u.path("completion_tokens_details").path("reasoning_tokens").asLong(0);
        return new Usage(Math.max(0, in), Math.max(0, out), Math.max(0, Math.min(cached, in)), 0, Math.max(0, reasoning), false);
    }

    public static ObjectNode encodeUsage(Usage u) {
        ObjectNode o = Json.object()
                .put("prompt_tokens", u.inputTokens())
                .put("completion_tokens", u.outputTokens())
                .put("total_tokens", u.totalTokens());
        o.putObject("prompt_tokens_details").put("cached_tokens", u.cacheReadTokens());
        o.putObject("completion_tokens_details").put("reasoning_tokens", u.reasoningTokens());
        return o;
    }

    /** A chat.completion body for a chat client; an upstream chat answer is returned as it came. */
    public static ObjectNode encode(LlmResponse r, String model) {
        if (r.format() == WireFormat.OPENAI_CHAT && r.raw() != null) return r.raw();
        ObjectNode o = Json.object()
                .put("id", chatId(r.id()))
                .put("object", "chat.completion")
                .put("created", r.created() > 0 ? r.created() : System.currentTimeMillis() / 1000)
                .put("model", r.model() == null ? model : r.model());
        ArrayNode choices = o.putArray("choices");
        for (Choice c : r.choices()) {
            ObjectNode ch = choices.addObject().put("index", c.index());
            ObjectNode msg = ch.putObject("message").put("role", "assistant");
            Message m = c.message();
            var reasoning = new StringBuilder();
            ArrayNode calls = Json.array();
            for (Part p : m.parts()) {
                switch (p) {
                    case Part.ToolCall t -> calls.addObject().put("id", t.id()).put("type", "function")
                            .putObject("function").put("name", t.name()).put("arguments", t.arguments());
                    case Part.CustomToolCall t -> calls.addObject().put("id", t.id()).put("type", "custom")
                            .putObject("custom").put("name", t.name()).put("input", t.input());
                    case Part.Reasoning t when t.text() != null -> reasoning.append(t.text());
                    default -> { }
                }
            }
            String text = m.text();
            if (text.isEmpty() && !calls.isEmpty()) msg.putNull("content");
            else msg.put("content", text);
            if (!reasoning.isEmpty()) msg.put("reasoning_content", reasoning.toString());
            if (!calls.isEmpty()) msg.set("tool_calls", calls);
            msg.putNull("refusal");
            ch.set("logprobs", c.logprobs() == null ? Json.NODES.nullNode() : c.logprobs());
            ch.put("finish_reason", c.finishReason().toOpenAi());
        }
        o.set("usage", encodeUsage(r.usage()));
        return o;
    }

    /** A text_completion body for a legacy completions client. */
    public static ObjectNode encodeCompletion(LlmResponse r, String model) {
        if (r.format() == WireFormat.OPENAI_CHAT && r.raw() != null && "text_completion".equals(Json.text(r.raw(), "object"))) {
            return r.raw();
        }
        ObjectNode o = Json.object()
                .put("id", "cmpl-" + idSuffix(r.id()))
                .put("object", "text_completion")
                .put("created", r.created() > 0 ? r.created() : System.currentTimeMillis() / 1000)
                .put("model", r.model() == null ? model : r.model());
        ArrayNode choices = o.putArray("choices");
        for (Choice c : r.choices()) {
            choices.addObject().put("text", c.message().text()).put("index", c.index()).putNull("logprobs")
                    .put("finish_reason", c.finishReason().toOpenAi());
        }
        ObjectNode usage = o.putObject("usage");
        usage.put("prompt_tokens", r.usage().inputTokens()).put("completion_tokens", r.usage().outputTokens())
                .put("total_tokens", r.usage().totalTokens());
        return o;
    }

    static String chatId(String id) {
        return id != null && id.startsWith("chatcmpl-") ? id : "chatcmpl-" + idSuffix(id);
    }

    static String idSuffix(String id) {
        if (id == null || id.isEmpty()) return Long.toHexString(Double.doubleToLongBits(Math.random()));
        int dash = id.indexOf('-');
        int under = id.indexOf('_');
        int cut = Math.max(dash, under);
        return cut >= 0 && cut < id.length() - 1 ? id.substring(cut + 1) : id;
    }

    /** Chat choices' text, used where only text can cross (e.g. legacy completions from a chat upstream). */
    public static List<String> texts(LlmResponse r) {
        var out = new ArrayList<String>();
        for (Choice c : r.choices()) out.add(c.message().text());
        return out;
    }
}
