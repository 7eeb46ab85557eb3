package dev.arbiter.mock;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.arbiter.mock.MockEngine.ToolSpec;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A directive written into the last user message, by which a test steers the fake through an agent's turn:
 * <ul>
 *   <li>{@code [[mock-say TEXT]]}: answer exactly {@code TEXT};
 *   <li>{@code [[mock-tool NAME ARGS]]}: when a tool {@code NAME} is offered (and the tool choice allows it), call it
 *       with exactly {@code ARGS}: a JSON object for a function tool (it may hold {@code ]]}), the raw text up to the
 *       first {@code ]]} for a custom tool; once the last message is a tool result, answer with text that quotes the
 *       result, so a test sees the tool's output went through the agent and back.
 * </ul>
 * The first directive of the text counts; one that does not apply (an unknown tool, arguments that are not a JSON
 * object) is no directive, and the fake answers as it would without it.
 */
sealed interface MockDirective {
    /** How many characters of a tool result the answer after it quotes. */
    int QUOTED = 400;
    Pattern START = Pattern.compile("\\[\\[mock-(say|tool)\\s+");
    Pattern NAME = Pattern.compile("(\\S+?)\\s+");
    ObjectReader STRICT_JSON = MockWire.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** Answer {@code text} exactly. */
    record Say(String text) implements MockDirective {}

    /** Call {@code tool} with {@code arguments}, then quote its result. */
    record CallTool(ToolSpec tool, String arguments) implements MockDirective {}

    /** The first directive in {@code userText} that applies to the offered {@code tools}. */
    static Optional<MockDirective> find(String userText, List<ToolSpec> tools) {
        Matcher m = START.matcher(userText);
        while (m.find()) {
            Optional<MockDirective> d = "say".equals(m.group(1)) ? say(userText, m.end()) : tool(userText, m.end(), tools);
            if (d.isPresent()) return d;
        }
        return Optional.empty();
    }

    /** The answer after the tool result {@code result}: its first {@link #QUOTED} characters, quoted. */
    static String quote(String result) {
        String r = result.length() > QUOTED ? result.substring(0, QUOTED) : result;
        return "Mock answer: the tool said: " + r;
    }

    private static Optional<MockDirective> say(String s, int from) {
        int end = s.indexOf("]]", from);
        if (end < 0) return Optional.empty();
        String text = s.substring(from, end).strip();
        return text.isEmpty() ? Optional.empty() : Optional.of(new Say(text));
    }

    private static Optional<MockDirective> tool(String s, int from, List<ToolSpec> tools) {
        Matcher n = NAME.matcher(s).region(from, s.length());
        if (!n.lookingAt()) return Optional.empty();
        ToolSpec tool = null;
        for (ToolSpec t : tools) if (t.name().equals(n.group(1))) tool = t;
        if (tool == null) return Optional.empty();
        int args = n.end();
        if (tool.custom()) {
            int end = s.indexOf("]]", args);
            return end < 0 ? Optional.empty() : Optional.of(new CallTool(tool, s.substring(args, end)));
        }
        for (int end = s.indexOf("]]", args); end >= 0; end = s.indexOf("]]", end + 1)) {
            String json = s.substring(args, end).strip();
            if (isObject(json)) return Optional.of(new CallTool(tool, json));
        }
        return Optional.empty();
    }

    private static boolean isObject(String json) {
        if (!json.startsWith("{")) return false;
        try {
            JsonNode node = STRICT_JSON.readTree(json);
            return node != null && node.isObject();
        } catch (JsonProcessingException e) {
            return false;
        }
    }
}
