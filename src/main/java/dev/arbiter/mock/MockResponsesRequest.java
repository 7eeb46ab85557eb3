package dev.arbiter.mock;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.mock.MockEngine.Prompt;
import dev.arbiter.mock.MockEngine.ToolSpec;
import dev.arbiter.mock.MockPromptCache.Prefix;
import java.util.ArrayList;
import java.util.List;

/**
 * An OpenAI Responses request ({@code POST /v1/responses}) as the fake reads it, by hand from raw JSON: the prompt,
 * whether reasoning was asked for and how it is returned, and the item-boundary prefixes of the input for the
 * fake's automatic prompt cache. Reading it enforces what the real API enforces and a gateway could get wrong:
 * only {@code function} and {@code custom} tools (a hosted tool such as {@code web_search} gets 400, as from a
 * backend that cannot run it), every echoed {@code encrypted_content} must be one the fake issued for that model,
 * and with {@code store: false} a reasoning item must carry its encrypted content (404 otherwise: the fake, like the
 * real API then, kept nothing to look it up by). The fake stores no responses, so {@code previous_response_id} is
 * never found (404).
 *
 * @param model the requested model, echoed
 * @param prompt what the engine answers from
 * @param summary a reasoning item carries one {@code summary_text} ({@code reasoning.summary} was set)
 * @param encrypted a reasoning item carries {@code encrypted_content} ({@code include} asked for it)
 * @param prefixes the prompt prefixes at each input item boundary, shortest first; the last is the whole input
 */
record MockResponsesRequest(String model, Prompt prompt, boolean summary, boolean encrypted, List<Prefix> prefixes) {
    static final String ENCRYPTED_INCLUDE = "reasoning.encrypted_content";

    static MockResponsesRequest parse(JsonNode body, MockSigner signer) {
        String model = MockUpstream.model(body);
        JsonNode previous = body.get("previous_response_id");
        if (previous != null && previous.isTextual()) {
            throw new MockUpstream.Rejected(404, "Previous response with id '" + previous.asText() + "' not found.");
        }
        boolean store = body.path("store").asBoolean(true);
        List<ToolSpec> tools = tools(body.path("tools"));
        var text = new StringBuilder();
        JsonNode instructions = body.get("instructions");
        if (instructions != null && instructions.isTextual()) text.append(instructions.asText());
        long hash = MockEngine.hash(model + '\u0000' + body.path("tools") + '\u0000' + text);
        var prefixes = new ArrayList<Prefix>();
        boolean afterTool = false;
        String user = "";
        var results = new ArrayList<String>();
        JsonNode input = body.get("input");
        if (input == null || !(input.isTextual() || input.isArray())) {
            throw new IllegalArgumentException("input: required (expected: a string or an array of input items)");
        }
        if (input.isTextual()) {
            user = input.asText();
            text.append(input.asText());
            prefixes.add(new Prefix(MockEngine.mix64(hash ^ MockEngine.hash(input.asText())), text.length()));
        }
        for (int i = 0; input.isArray() && i < input.size(); i++) {
            JsonNode item = input.get(i);
            String type = item.path("type").asText(item.has("role") ? "message" : "");
            if (!afterTool) results.clear();
            afterTool = false;
            switch (type) {
                case "message" -> {
                    appendText(text, item.get("content"));
                    if ("user".equals(item.path("role").asText())) user = MockWire.texts(item.get("content"));
                }
                case "function_call_output", "custom_tool_call_output" -> {
                    appendText(text, item.get("output"));
                    results.add(MockWire.texts(item.get("output")));
                    afterTool = true;
                }
                case "reasoning" -> verify(item, i, model, store, signer);
                default -> { }
            }
            hash = MockEngine.mix64(hash ^ MockEngine.hash(item.toString()));
            prefixes.add(new Prefix(hash, text.length()));
        }
        JsonNode r = body.path("reasoning");
        boolean summary = r.path("summary").isTextual() || r.path("generate_summary").isTextual();
        int reasoning = r.path("effort").isTextual() ? MockEngine.reasoningTokens(r.get("effort").asText())
                : summary ? MockEngine.reasoningTokens(null) : 0;
        boolean encrypted = false;
        for (JsonNode inc : body.path("include")) encrypted |= ENCRYPTED_INCLUDE.equals(inc.asText());
        int max = MockOpenAi.intOr(body, "max_output_tokens", Integer.MAX_VALUE);
        JsonNode choice = body.path("tool_choice");
        var prompt = new Prompt(text.toString(), tools, !"none".equals(choice.asText()), namedTool(choice), afterTool,
                max, 1, reasoning, user, afterTool ? String.join("\n", results) : "");
        return new MockResponsesRequest(model, prompt, summary, encrypted, List.copyOf(prefixes));
    }

    /** The request's tools; anything but a function or custom tool is refused as a backend that cannot run it would. */
    private static List<ToolSpec> tools(JsonNode tools) {
        var out = new ArrayList<ToolSpec>();
        for (int i = 0; i < tools.size(); i++) {
            JsonNode t = tools.get(i);
            String type = t.path("type").asText("function");
            if (!"function".equals(type) && !"custom".equals(type)) {
                throw new IllegalArgumentException("tools[" + i + "].type: unsupported tool type '" + type
                        + "' (expected: function, custom)");
            }
            if (!t.path("name").isTextual()) throw new IllegalArgumentException("tools[" + i + "].name: required");
            out.add(new ToolSpec(t.get("name").asText(), t.get("parameters"), "custom".equals(type)));
        }
        return out;
    }

    /** The tool a choice names: {@code {type: function|custom, name}}, or the first of {@code allowed_tools}. */
    private static String namedTool(JsonNode choice) {
        if (choice.path("name").isTextual()) return choice.get("name").asText();
        if ("allowed_tools".equals(choice.path("type").asText())) {
            for (JsonNode t : choice.path("tools")) if (t.path("name").isTextual()) return t.get("name").asText();
        }
        return null;
    }

    private static void verify(JsonNode item, int i, String model, boolean store, MockSigner signer) {
        JsonNode enc = item.get("encrypted_content");
        String id = item.path("id").asText("");
        if (enc == null || enc.isNull()) {
            if (store) return;
            throw new MockUpstream.Rejected(404, "Item with id '" + id + "' not found. Items are not persisted when "
                    + "`store` is set to false. Try again with `store` set to true, or remove this item from your input.");
        }
        var text = new StringBuilder();
        for (JsonNode c : item.path("content")) {
            if (c.path("text").isTextual()) text.append(c.get("text").asText());
        }
        if (!enc.isTextual() || !signer.verify(MockSigner.Kind.ENCRYPTED_REASONING, model, text.toString(), enc.asText())) {
            throw new IllegalArgumentException("input[" + i + "]: invalid encrypted_content for reasoning item '" + id
                    + "': it could not be verified");
        }
    }

    /** Appends a content value: a string, or the {@code text} of each part. */
    private static void appendText(StringBuilder sb, JsonNode content) {
        if (content == null) return;
        if (content.isTextual()) sb.append(content.asText());
        for (JsonNode part : content) if (part.path("text").isTextual()) sb.append(part.get("text").asText());
    }
}
