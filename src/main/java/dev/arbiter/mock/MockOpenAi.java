package dev.arbiter.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.mock.MockEngine.Prompt;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * OpenAI's wire shapes for the fake upstream (chat completions, legacy completions, embeddings, models, errors),
 * read from and written to raw JSON by hand, independently of Arbiter's codecs, so the fake checks them.
 */
final class MockOpenAi {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private MockOpenAi() {}

    /** The prompt of a chat completions body; throws {@link IllegalArgumentException} when it is not one. */
    static Prompt chatPrompt(JsonNode body) {
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw new IllegalArgumentException("messages: must be a non-empty array");
        }
        var text = new StringBuilder();
        for (JsonNode m : messages) appendText(text, m.get("content"));
        String lastRole = messages.get(messages.size() - 1).path("role").asText();
        var tools = new ArrayList<MockEngine.ToolSpec>();
        for (JsonNode t : body.path("tools")) {
            JsonNode fn = t.path("function");
            if ("function".equals(t.path("type").asText("function")) && fn.path("name").isTextual()) {
                tools.add(new MockEngine.ToolSpec(fn.get("name").asText(), fn.get("parameters")));
            }
        }
        JsonNode choice = body.path("tool_choice");
        boolean allowed = !"none".equals(choice.asText());
        JsonNode named = choice.path("function").path("name");
        if (!named.isTextual()) named = choice.path("name");
        int max = intOr(body, "max_completion_tokens", intOr(body, "max_tokens", Integer.MAX_VALUE));
        JsonNode effort = body.get("reasoning_effort");
        int reasoning = effort != null && effort.isTextual() ? MockEngine.reasoningTokens(effort.asText()) : 0;
        String user = "";
        for (JsonNode m : messages) if ("user".equals(m.path("role").asText())) user = MockWire.texts(m.get("content"));
        var results = new ArrayList<String>();
        for (int i = messages.size() - 1; i >= 0 && isToolResult(messages.get(i)); i--) {
            results.addFirst(MockWire.texts(messages.get(i).get("content")));
        }
        return new Prompt(text.toString(), tools, allowed, named.isTextual() ? named.asText() : null,
                "tool".equals(lastRole) || "function".equals(lastRole), max, MockLimits.n(body), reasoning, user,
                String.join("\n", results));
    }

    private static boolean isToolResult(JsonNode message) {
        String role = message.path("role").asText();
        return "tool".equals(role) || "function".equals(role);
    }

    /**
     * Rules of the backends the fake stands for on chat completions: {@code cache_control} anywhere is refused, as a
     * non-Anthropic backend refuses Anthropic-only fields; with {@code strictReasoning} and a {@code reasoning_effort},
     * an assistant message with tool calls after the last user message must carry {@code reasoning_content}
     * (DeepSeek's thinking-mode rule). Throws {@link IllegalArgumentException} with the message to answer.
     */
    static void checkChat(JsonNode body, boolean strictReasoning) {
        if (has(body, "cache_control")) {
            throw new IllegalArgumentException("Unrecognized request argument supplied: cache_control (at "
                    + find(body, "cache_control", "") + ")");
        }
        JsonNode effort = body.get("reasoning_effort");
        if (!strictReasoning || effort == null || !effort.isTextual() || "none".equals(effort.asText())) return;
        JsonNode messages = body.path("messages");
        int lastUser = -1;
        for (int i = 0; i < messages.size(); i++) if ("user".equals(messages.get(i).path("role").asText())) lastUser = i;
        for (int i = lastUser + 1; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            if ("assistant".equals(m.path("role").asText()) && !m.path("tool_calls").isEmpty()
                    && !m.path("reasoning_content").isTextual()) {
                throw new IllegalArgumentException("Missing `reasoning_content` field in the assistant message at message index "
                        + i + ". For more information, please refer to https://api-docs.deepseek.com/guides/thinking_mode#tool-calls");
            }
        }
    }

    /** Whether a field named {@code name} is anywhere in {@code node}; allocates nothing, for the hot path. */
    private static boolean has(JsonNode node, String name) {
        if (node.isObject() && node.has(name)) return true;
        if (node.isContainerNode()) {
            for (JsonNode child : node) if (child.isContainerNode() && has(child, name)) return true;
        }
        return false;
    }

    /** The path of the first field named {@code name} anywhere in {@code node}, or null. */
    private static String find(JsonNode node, String name, String path) {
        if (node.isObject()) {
            if (node.has(name)) return path.isEmpty() ? name : path + "." + name;
            for (var it = node.properties().iterator(); it.hasNext(); ) {
                var e = it.next();
                if (!e.getValue().isContainerNode()) continue;
                String found = find(e.getValue(), name, path.isEmpty() ? e.getKey() : path + "." + e.getKey());
                if (found != null) return found;
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                if (!node.get(i).isContainerNode()) continue;
                String found = find(node.get(i), name, path + "[" + i + "]");
                if (found != null) return found;
            }
        }
        return null;
    }

    private static void appendText(StringBuilder sb, JsonNode content) {
        if (content == null) return;
        if (content.isTextual()) sb.append(content.asText());
        for (JsonNode part : content) {
            if ("text".equals(part.path("type").asText()) && part.path("text").isTextual()) sb.append(part.get("text").asText());
        }
    }

    static int intOr(JsonNode body, String field, int dflt) {
        JsonNode v = body.get(field);
        return v != null && v.canConvertToInt() ? v.asInt() : dflt;
    }

    static byte[] chat(String id, String model, long created, MockAnswer a) {
        ObjectNode o = envelope(id, "chat.completion", created, model);
        ArrayNode choices = o.putArray("choices");
        for (MockAnswer.Alternative alt : a.alternatives()) {
            ObjectNode c = choices.addObject().put("index", alt.index());
            ObjectNode m = c.putObject("message").put("role", "assistant");
            if (alt.hasReasoning()) m.put("reasoning_content", alt.reasoningText());
            if (alt.isToolCall()) {
                m.putNull("content");
                m.putArray("tool_calls").add(toolCall(alt.toolCall(), alt.toolCall().arguments()));
            } else {
                m.put("content", alt.text());
            }
            m.putNull("refusal");
            c.putNull("logprobs");
            c.put("finish_reason", alt.finish().openAi());
        }
        o.set("usage", usage(a));
        return MockWire.bytes(o);
    }

    /** The usage of a chat answer; with reasoning, {@code completion_tokens_details.reasoning_tokens} too. */
    private static ObjectNode usage(MockAnswer a) {
        ObjectNode u = usage(a.inputTokens(), a.outputTokens());
        int reasoning = 0;
        for (MockAnswer.Alternative alt : a.alternatives()) reasoning += alt.reasoning().size();
        if (reasoning > 0) u.putObject("completion_tokens_details").put("reasoning_tokens", reasoning);
        return u;
    }

    private static ObjectNode toolCall(MockAnswer.ToolCall call, String arguments) {
        ObjectNode t = F.objectNode().put("id", call.id()).put("type", "function");
        t.putObject("function").put("name", call.name()).put("arguments", arguments);
        return t;
    }

    private static ObjectNode envelope(String id, String object, long created, String model) {
        return F.objectNode().put("id", id).put("object", object).put("created", created).put("model", model);
    }

    static ObjectNode usage(long in, long out) {
        return F.objectNode().put("prompt_tokens", in).put("completion_tokens", out).put("total_tokens", in + out);
    }

    /**
     * A chat completions stream: role chunks, one delta chunk per token and choice (first the reasoning, as
     * {@code reasoning_content} deltas, then the content or the tool call, whose head then rides on its first
     * argument fragment), finish chunks, usage, [DONE].
     */
    static MockUpstream.Script chatStream(String id, String model, long created, MockAnswer a, boolean includeUsage) {
        List<MockAnswer.Alternative> alts = a.alternatives();
        return new MockUpstream.Script() {
            ObjectNode chunk(int index, ObjectNode delta, String finish) {
                ObjectNode o = envelope(id, "chat.completion.chunk", created, model);
                ObjectNode c = o.putArray("choices").addObject().put("index", index);
                c.set("delta", delta);
                c.putNull("logprobs");
                if (finish == null) c.putNull("finish_reason");
                else c.put("finish_reason", finish);
                if (includeUsage) o.putNull("usage");
                return o;
            }

            @Override
            public List<byte[]> head() {
                var out = new ArrayList<byte[]>();
                for (var alt : alts) {
                    ObjectNode d = F.objectNode().put("role", "assistant");
                    if (alt.hasReasoning()) {
                        if (alt.isToolCall()) d.putNull("content");
                        else d.put("content", "");
                        d.put("reasoning_content", "");
                    } else if (alt.isToolCall()) {
                        d.putNull("content");
                        d.putArray("tool_calls").add(F.objectNode().put("index", 0).setAll(toolCall(alt.toolCall(), "")));
                    } else {
                        d.put("content", "");
                    }
                    out.add(MockWire.data(chunk(alt.index(), d, null)));
                }
                return out;
            }

            @Override
            public int steps() {
                return MockWire.steps(alts);
            }

            @Override
            public List<byte[]> step(int s) {
                var out = new ArrayList<byte[]>(alts.size());
                for (var alt : alts) {
                    int r = alt.reasoning().size();
                    if (s >= r + alt.deltas().size()) continue;
                    ObjectNode d = F.objectNode();
                    String piece = s < r ? alt.reasoning().get(s) : alt.deltas().get(s - r);
                    if (s < r) {
                        d.put("reasoning_content", piece);
                    } else if (alt.isToolCall() && r > 0 && s == r) {
                        d.putArray("tool_calls").add(F.objectNode().put("index", 0).setAll(toolCall(alt.toolCall(), piece)));
                    } else if (alt.isToolCall()) {
                        d.putArray("tool_calls").addObject().put("index", 0).putObject("function").put("arguments", piece);
                    } else {
                        d.put("content", piece);
                    }
                    out.add(MockWire.data(chunk(alt.index(), d, null)));
                }
                return out;
            }

            @Override
            public List<byte[]> tail() {
                var out = new ArrayList<byte[]>();
                for (var alt : alts) out.add(MockWire.data(chunk(alt.index(), F.objectNode(), alt.finish().openAi())));
                if (includeUsage) {
                    ObjectNode u = envelope(id, "chat.completion.chunk", created, model);
                    u.putArray("choices");
                    u.set("usage", usage(a));
                    out.add(MockWire.data(u));
                }
                out.add(MockWire.DONE);
                return out;
            }

            @Override
            public byte[] malformed() {
                return MockWire.sse(null, "{\"id\":\"" + id + "\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"delta\":{\"content\":\"Mo");
            }
        };
    }

    /** The prompts of a legacy completions body: one per string (or token array) of {@code prompt}. */
    static List<MockEngine.Input> completionPrompts(JsonNode body) {
        if (!body.has("prompt")) throw new IllegalArgumentException("prompt: required");
        List<MockEngine.Input> inputs = MockEngine.inputs(body.get("prompt"));
        if (inputs.isEmpty()) throw new IllegalArgumentException("prompt: must not be empty");
        return inputs;
    }

    /** Legacy completions: {@code answers.get(p)} answers prompt p; its alternatives take indexes p * n + k. */
    static byte[] completion(String id, String model, long created, List<MockAnswer> answers) {
        ObjectNode o = envelope(id, "text_completion", created, model);
        ArrayNode choices = o.putArray("choices");
        long in = 0;
        long out = 0;
        for (int p = 0; p < answers.size(); p++) {
            MockAnswer a = answers.get(p);
            in += a.inputTokens();
            out += a.outputTokens();
            for (var alt : a.alternatives()) {
                ObjectNode c = choices.addObject().put("text", alt.text()).put("index", p * a.alternatives().size() + alt.index());
                c.putNull("logprobs");
                c.put("finish_reason", alt.finish().openAi());
            }
        }
        o.set("usage", usage(in, out));
        return MockWire.bytes(o);
    }

    static MockUpstream.Script completionStream(String id, String model, long created, List<MockAnswer> answers,
                                                boolean includeUsage) {
        var alts = new ArrayList<MockAnswer.Alternative>();
        long in = 0;
        long out = 0;
        for (int p = 0; p < answers.size(); p++) {
            MockAnswer a = answers.get(p);
            in += a.inputTokens();
            out += a.outputTokens();
            int n = a.alternatives().size();
            for (var alt : a.alternatives()) {
                alts.add(new MockAnswer.Alternative(p * n + alt.index(), alt.tokens(), null, alt.finish(), alt.outputTokens()));
            }
        }
        ObjectNode usage = usage(in, out);
        return new MockUpstream.Script() {
            byte[] chunk(int index, String text, String finish) {
                ObjectNode o = envelope(id, "text_completion", created, model);
                ObjectNode c = o.putArray("choices").addObject().put("text", text).put("index", index);
                c.putNull("logprobs");
                if (finish == null) c.putNull("finish_reason");
                else c.put("finish_reason", finish);
                if (includeUsage) o.putNull("usage");
                return MockWire.data(o);
            }

            @Override
            public List<byte[]> head() {
                return List.of();
            }

            @Override
            public int steps() {
                return MockWire.steps(alts);
            }

            @Override
            public List<byte[]> step(int s) {
                var list = new ArrayList<byte[]>(alts.size());
                for (var alt : alts) if (s < alt.tokens().size()) list.add(chunk(alt.index(), alt.tokens().get(s), null));
                return list;
            }

            @Override
            public List<byte[]> tail() {
                var list = new ArrayList<byte[]>();
                for (var alt : alts) list.add(chunk(alt.index(), "", alt.finish().openAi()));
                if (includeUsage) {
                    ObjectNode u = envelope(id, "text_completion", created, model);
                    u.putArray("choices");
                    u.set("usage", usage);
                    list.add(MockWire.data(u));
                }
                list.add(MockWire.DONE);
                return list;
            }

            @Override
            public byte[] malformed() {
                return MockWire.sse(null, "{\"id\":\"" + id + "\",\"object\":\"text_completion\",\"choices\":[{\"text\":\"Mo");
            }
        };
    }

    /** An embeddings answer: one unit vector per input, as float arrays or base64 little-endian float32. */
    static ObjectNode embeddings(String model, List<MockEngine.Input> inputs, int dims, boolean base64) {
        ObjectNode o = F.objectNode().put("object", "list");
        ArrayNode data = o.putArray("data");
        long tokens = 0;
        for (int i = 0; i < inputs.size(); i++) {
            float[] v = MockEngine.embed(inputs.get(i).text(), dims);
            tokens += inputs.get(i).tokens();
            ObjectNode e = data.addObject().put("object", "embedding").put("index", i);
            if (base64) {
                ByteBuffer buf = ByteBuffer.allocate(4 * dims).order(ByteOrder.LITTLE_ENDIAN);
                for (float x : v) buf.putFloat(x);
                e.put("embedding", Base64.getEncoder().encodeToString(buf.array()));
            } else {
                ArrayNode arr = e.putArray("embedding");
                for (float x : v) arr.add(x);
            }
        }
        o.put("model", model);
        o.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
        return o;
    }

    static byte[] models(List<String> ids) {
        ObjectNode o = F.objectNode().put("object", "list");
        ArrayNode data = o.putArray("data");
        for (String id : ids) data.addObject().put("id", id).put("object", "model").put("created", 0).put("owned_by", "arbiter-mock");
        return MockWire.bytes(o);
    }

    static byte[] error(int status, String message) {
        String type = status == 429 ? "requests" : status >= 500 ? "server_error" : "invalid_request_error";
        ObjectNode e = F.objectNode();
        e.putObject("error").put("message", message).put("type", type).putNull("param")
                .put("code", status == 429 ? "rate_limit_exceeded" : null);
        return MockWire.bytes(e);
    }
}
