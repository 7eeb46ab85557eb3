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
        return new Prompt(text.toString(), tools, allowed, named.isTextual() ? named.asText() : null,
                "tool".equals(lastRole) || "function".equals(lastRole), max, intOr(body, "n", 1));
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
        o.set("usage", usage(a.inputTokens(), a.outputTokens()));
        return MockUpstream.bytes(o);
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

    /** A chat completions stream: role chunks, one delta chunk per token and choice, finish chunks, usage, [DONE]. */
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
                    if (alt.isToolCall()) {
                        d.putNull("content");
                        d.putArray("tool_calls").add(F.objectNode().put("index", 0).setAll(toolCall(alt.toolCall(), "")));
                    } else {
                        d.put("content", "");
                    }
                    out.add(MockUpstream.data(chunk(alt.index(), d, null)));
                }
                return out;
            }

            @Override
            public int steps() {
                return MockUpstream.steps(alts);
            }

            @Override
            public List<byte[]> step(int s) {
                var out = new ArrayList<byte[]>(alts.size());
                for (var alt : alts) {
                    if (s >= alt.deltas().size()) continue;
                    String piece = alt.deltas().get(s);
                    ObjectNode d = F.objectNode();
                    if (alt.isToolCall()) {
                        d.putArray("tool_calls").addObject().put("index", 0).putObject("function").put("arguments", piece);
                    } else {
                        d.put("content", piece);
                    }
                    out.add(MockUpstream.data(chunk(alt.index(), d, null)));
                }
                return out;
            }

            @Override
            public List<byte[]> tail() {
                var out = new ArrayList<byte[]>();
                for (var alt : alts) out.add(MockUpstream.data(chunk(alt.index(), F.objectNode(), alt.finish().openAi())));
                if (includeUsage) {
                    ObjectNode u = envelope(id, "chat.completion.chunk", created, model);
                    u.putArray("choices");
                    u.set("usage", usage(a.inputTokens(), a.outputTokens()));
                    out.add(MockUpstream.data(u));
                }
                out.add(MockUpstream.DONE);
                return out;
            }

            @Override
            public byte[] malformed() {
                return MockUpstream.sse(null, "{\"id\":\"" + id + "\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"delta\":{\"content\":\"Mo");
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
        return MockUpstream.bytes(o);
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
                return MockUpstream.data(o);
            }

            @Override
            public List<byte[]> head() {
                return List.of();
            }

            @Override
            public int steps() {
                return MockUpstream.steps(alts);
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
                    list.add(MockUpstream.data(u));
                }
                list.add(MockUpstream.DONE);
                return list;
            }

            @Override
            public byte[] malformed() {
                return MockUpstream.sse(null, "{\"id\":\"" + id + "\",\"object\":\"text_completion\",\"choices\":[{\"text\":\"Mo");
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
        return MockUpstream.bytes(o);
    }

    static byte[] error(int status, String message) {
        String type = status == 429 ? "requests" : status >= 500 ? "server_error" : "invalid_request_error";
        ObjectNode e = F.objectNode();
        e.putObject("error").put("message", message).put("type", type).putNull("param")
                .put("code", status == 429 ? "rate_limit_exceeded" : null);
        return MockUpstream.bytes(e);
    }
}
