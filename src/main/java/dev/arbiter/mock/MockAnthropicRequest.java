package dev.arbiter.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.mock.MockEngine.Prompt;
import dev.arbiter.mock.MockPromptCache.Prefix;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * An Anthropic Messages request ({@code POST /v1/messages}, {@code /v1/messages/count_tokens}) as the fake reads it,
 * by hand from raw JSON, enforcing the rules of the real API that a gateway could break in transit:
 * <ul>
 *   <li>every echoed {@code thinking} block's {@code signature} must be one the fake issued for this model and, when
 *       the block's text is not empty, for that text; a {@code redacted_thinking} block's {@code data} likewise (the
 *       fake issues none, so any such block was made up);
 *   <li>with thinking on, the last assistant message, when it holds a {@code tool_use}, must start with a thinking
 *       block;
 *   <li>at most 4 blocks with {@code cache_control};
 *   <li>with header {@code x-mock-strict: true}, no top-level field the API does not know.
 * </ul>
 *
 * <p>Input tokens are counted over the request in the order the API caches it: tools (name, description, schema),
 * then system, then messages (text, thinking, tool_use name and input, tool_result text), {@code ceil(chars / 4)}
 * of it all, so {@code count_tokens} and the usage of the answer agree. Each block that carries
 * {@code cache_control} ends a cache prefix, identified by a running hash of the blocks before it (without their
 * {@code cache_control}) and the model.
 *
 * @param prompt what the engine answers from (system, text blocks and tool results, as before thinking existed)
 * @param omitThinking {@code thinking.display} is {@code omitted}: thinking blocks go out with empty text
 * @param inputTokens the whole input, cached or not
 * @param breakpoints the cache prefixes, shortest first
 */
record MockAnthropicRequest(String model, Prompt prompt, boolean omitThinking, long inputTokens, List<Prefix> breakpoints) {
    static final int MAX_CACHE_BREAKPOINTS = 4;
    private static final Set<String> COUNT_FIELDS = Set.of("model", "messages", "system", "tools", "tool_choice",
            "thinking", "mcp_servers", "context_management", "output_config", "output_format", "cache_control");
    private static final Set<String> MESSAGE_FIELDS = union(COUNT_FIELDS, Set.of("max_tokens", "metadata",
            "stop_sequences", "stream", "temperature", "top_p", "top_k", "service_tier", "container"));
    private static final String THINKING_FIRST = "When `thinking` is enabled, a final `assistant` message must start "
            + "with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend "
            + "you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. Please "
            + "consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking";

    /** Reads a {@code /v1/messages} body; throws {@link IllegalArgumentException} with the API's message if invalid. */
    static MockAnthropicRequest parse(JsonNode body, MockSigner signer, boolean strict) {
        String model = MockUpstream.model(body);
        if (strict) rejectExtraFields(body, MESSAGE_FIELDS);
        JsonNode messages = messages(body);
        JsonNode max = body.get("max_tokens");
        if (max == null || !max.canConvertToInt() || max.asInt() < 1) {
            throw new IllegalArgumentException("max_tokens: Field required (an integer >= 1)");
        }
        int marks = cacheControls(body);
        if (marks > MAX_CACHE_BREAKPOINTS) {
            throw new IllegalArgumentException("A maximum of " + MAX_CACHE_BREAKPOINTS
                    + " blocks with cache_control may be provided. Found " + marks + ".");
        }
        String thinking = body.path("thinking").path("type").asText("disabled");
        boolean thinkingOn = "enabled".equals(thinking) || "adaptive".equals(thinking);
        verifyReasoning(messages, model, signer, thinkingOn);
        var text = new StringBuilder();
        appendText(text, body.get("system"));
        boolean afterTool = false;
        for (JsonNode m : messages) {
            JsonNode content = m.get("content");
            afterTool = false;
            if (content != null && content.isTextual()) text.append(content.asText());
            for (JsonNode block : content == null ? List.<JsonNode>of() : content) {
                String type = block.path("type").asText();
                if ("text".equals(type) && block.path("text").isTextual()) text.append(block.get("text").asText());
                if ("tool_result".equals(type)) {
                    afterTool = true;
                    appendText(text, block.get("content"));
                }
            }
        }
        var tools = new ArrayList<MockEngine.ToolSpec>();
        for (JsonNode t : body.path("tools")) {
            String type = t.path("type").asText("custom");
            if (t.path("name").isTextual() && ("custom".equals(type) || t.has("input_schema"))) {
                tools.add(new MockEngine.ToolSpec(t.get("name").asText(), t.get("input_schema")));
            }
        }
        JsonNode choice = body.path("tool_choice");
        String kind = choice.path("type").asText("auto");
        String named = "tool".equals(kind) && choice.path("name").isTextual() ? choice.get("name").asText() : null;
        JsonNode effort = body.path("output_config").path("effort");
        int reasoning = thinkingOn ? MockEngine.reasoningTokens(effort.isTextual() ? effort.asText() : null) : 0;
        var prompt = new Prompt(text.toString(), tools, !"none".equals(kind), named, afterTool, max.asInt(), 1, reasoning,
                userText(messages), afterTool ? toolResults(messages.get(messages.size() - 1)) : "");
        var breakpoints = new ArrayList<Prefix>();
        long chars = account(body, model, marks > 0, breakpoints);
        boolean omit = "omitted".equals(body.path("thinking").path("display").asText());
        return new MockAnthropicRequest(model, prompt, omit, Math.max(1, MockPromptCache.tokens(chars)), breakpoints);
    }

    /** The texts of the last user message that holds no tool result, joined by newlines. */
    private static String userText(JsonNode messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            JsonNode m = messages.get(i);
            if (!"user".equals(m.path("role").asText())) continue;
            JsonNode content = m.path("content");
            if (content.isTextual()) return content.asText();
            boolean results = false;
            for (JsonNode b : content) results |= "tool_result".equals(b.path("type").asText());
            if (!results) return MockWire.texts(content);
        }
        return "";
    }

    /** The texts of the tool results of {@code message}, joined by newlines. */
    private static String toolResults(JsonNode message) {
        var out = new ArrayList<String>();
        for (JsonNode b : message.path("content")) {
            if ("tool_result".equals(b.path("type").asText())) out.add(MockWire.texts(b.get("content")));
        }
        return String.join("\n", out);
    }

    /** The input tokens of a {@code /v1/messages/count_tokens} body. */
    static long countTokens(JsonNode body, boolean strict) {
        MockUpstream.model(body);
        if (strict) rejectExtraFields(body, COUNT_FIELDS);
        messages(body);
        return Math.max(1, MockPromptCache.tokens(account(body, "", false, new ArrayList<>())));
    }

    private static JsonNode messages(JsonNode body) {
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw new IllegalArgumentException("messages: must be a non-empty array");
        }
        return messages;
    }

    private static void rejectExtraFields(JsonNode body, Set<String> known) {
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) throw new IllegalArgumentException(f + ": Extra inputs are not permitted");
        }
    }

    /** The number of objects anywhere in {@code node} that carry {@code cache_control}. */
    static int cacheControls(JsonNode node) {
        int n = 0;
        if (node.isObject() && node.has("cache_control")) n++;
        if (node.isContainerNode()) for (JsonNode child : node) n += cacheControls(child);
        return n;
    }

    private static void verifyReasoning(JsonNode messages, String model, MockSigner signer, boolean thinkingOn) {
        int lastAssistant = -1;
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            if (!"assistant".equals(m.path("role").asText())) continue;
            lastAssistant = i;
            JsonNode content = m.path("content");
            for (int j = 0; j < content.size(); j++) {
                JsonNode block = content.get(j);
                String at = "messages." + i + ".content." + j;
                switch (block.path("type").asText()) {
                    case "thinking" -> {
                        JsonNode sig = block.get("signature");
                        if (sig == null || !sig.isTextual()) throw new IllegalArgumentException(at + ".signature: Field required");
                        if (!signer.verify(MockSigner.Kind.THINKING, model, block.path("thinking").asText(""), sig.asText())) {
                            throw new IllegalArgumentException(at + ": invalid signature in thinking block");
                        }
                    }
                    case "redacted_thinking" -> {
                        if (!signer.verify(MockSigner.Kind.REDACTED_THINKING, model, "", block.path("data").asText(""))) {
                            throw new IllegalArgumentException(at + ": invalid data in redacted_thinking block");
                        }
                    }
                    default -> { }
                }
            }
        }
        if (!thinkingOn || lastAssistant < 0) return;
        JsonNode content = messages.get(lastAssistant).path("content");
        boolean toolUse = false;
        for (JsonNode b : content) toolUse |= "tool_use".equals(b.path("type").asText());
        String first = content.path(0).path("type").asText();
        if (toolUse && !"thinking".equals(first) && !"redacted_thinking".equals(first)) {
            throw new IllegalArgumentException("messages." + lastAssistant + ".content.0.type: Expected `thinking` or "
                    + "`redacted_thinking`, but found `" + first + "`. " + THINKING_FIRST);
        }
    }

    /**
     * Counts the characters of the input in cache order, and when {@code cached}, records the prefix ending at each
     * block with {@code cache_control} (a top-level {@code cache_control} marks the end of the messages).
     */
    private static long account(JsonNode body, String model, boolean cached, List<Prefix> breakpoints) {
        var acc = new Object() {
            long chars;
            long hash = MockEngine.hash(model);

            void role(String role) {
                if (cached) hash = MockEngine.mix64(hash ^ MockEngine.hash(role));
            }

            void unit(JsonNode block, String text) {
                chars += text.length();
                if (!cached) return;
                JsonNode plain = block;
                if (block.isObject() && block.has("cache_control")) plain = ((ObjectNode) block.deepCopy()).without("cache_control");
                hash = MockEngine.mix64(hash ^ MockEngine.hash(plain.toString()));
                if (cacheControls(block) > 0) breakpoints.add(new Prefix(hash, chars));
            }
        };
        for (JsonNode t : body.path("tools")) {
            acc.unit(t, t.path("name").asText("") + t.path("description").asText("") + t.path("input_schema"));
        }
        JsonNode system = body.path("system");
        if (system.isTextual()) acc.unit(system, system.asText());
        for (JsonNode block : system.isArray() ? system : List.<JsonNode>of()) acc.unit(block, blockText(block));
        for (JsonNode m : body.path("messages")) {
            JsonNode content = m.path("content");
            acc.role(m.path("role").asText());
            if (content.isTextual()) acc.unit(m, content.asText());
            for (JsonNode block : content.isArray() ? content : List.<JsonNode>of()) acc.unit(block, blockText(block));
        }
        if (cached && body.has("cache_control")) breakpoints.add(new Prefix(acc.hash, acc.chars));
        return acc.chars;
    }

    private static String blockText(JsonNode block) {
        return switch (block.path("type").asText()) {
            case "text" -> block.path("text").asText("");
            case "thinking" -> block.path("thinking").asText("");
            case "tool_use" -> block.path("name").asText("") + block.path("input");
            case "tool_result" -> {
                var sb = new StringBuilder();
                appendText(sb, block.get("content"));
                yield sb.toString();
            }
            default -> "";
        };
    }

    private static void appendText(StringBuilder sb, JsonNode content) {
        if (content == null) return;
        if (content.isTextual()) sb.append(content.asText());
        for (JsonNode block : content) {
            if ("text".equals(block.path("type").asText()) && block.path("text").isTextual()) sb.append(block.get("text").asText());
        }
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        var out = new HashSet<>(a);
        out.addAll(b);
        return Set.copyOf(out);
    }
}
