package dev.arbiter.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.wire.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One assistant turn as a client sees it, read from any of the three wire formats, streamed or not: its text,
 * its tool calls and how it ended. {@code complete} is true when the format's final event arrived
 * ({@code [DONE]}, {@code message_stop}, {@code response.completed}).
 */
record Turn(String text, List<Call> calls, String finish, boolean complete, String id, JsonNode raw) {
    record Call(String id, String name, String arguments, boolean custom) {}

    static Turn chat(String body, boolean stream) {
        if (!stream) {
            JsonNode b = Json.parse(body);
            JsonNode msg = b.at("/choices/0/message");
            var calls = new ArrayList<Call>();
            for (JsonNode c : msg.path("tool_calls")) {
                boolean custom = "custom".equals(c.path("type").asText());
                calls.add(new Call(c.path("id").asText(), c.at(custom ? "/custom/name" : "/function/name").asText(),
                        c.at(custom ? "/custom/input" : "/function/arguments").asText(), custom));
            }
            return new Turn(msg.path("content").asText(""), calls, b.at("/choices/0/finish_reason").asText(), true,
                    b.path("id").asText(), b);
        }
        var text = new StringBuilder();
        Map<Integer, String[]> calls = new LinkedHashMap<>();
        String finish = null;
        boolean done = false;
        String id = null;
        for (String d : EndpointsTest.sseData(body)) {
            if (d.equals("[DONE]")) {
                done = true;
                continue;
            }
            JsonNode c = Json.parse(d);
            if (c.has("error")) break;
            id = c.path("id").asText(id);
            JsonNode ch = c.path("choices").path(0);
            if (ch.isMissingNode()) continue;
            JsonNode delta = ch.path("delta");
            if (delta.path("content").isTextual()) text.append(delta.path("content").asText());
            for (JsonNode tc : delta.path("tool_calls")) {
                String[] call = calls.computeIfAbsent(tc.path("index").asInt(), k -> new String[] {"", "", ""});
                if (tc.hasNonNull("id")) call[0] = tc.path("id").asText();
                if (tc.at("/function/name").isTextual()) call[1] = tc.at("/function/name").asText();
                if (tc.at("/function/arguments").isTextual()) call[2] += tc.at("/function/arguments").asText();
            }
            if (ch.hasNonNull("finish_reason")) finish = ch.path("finish_reason").asText();
        }
        var out = new ArrayList<Call>();
        calls.values().forEach(c -> out.add(new Call(c[0], c[1], c[2], false)));
        return new Turn(text.toString(), out, finish, done, id, null);
    }

    static Turn messages(String body, boolean stream) {
        if (!stream) {
            JsonNode b = Json.parse(body);
            var text = new StringBuilder();
            var calls = new ArrayList<Call>();
            for (JsonNode block : b.path("content")) {
                switch (block.path("type").asText()) {
                    case "text" -> text.append(block.path("text").asText());
                    case "tool_use" -> calls.add(new Call(block.path("id").asText(), block.path("name").asText(),
                            Json.string(block.path("input")), false));
                    default -> { }
                }
            }
            return new Turn(text.toString(), calls, b.path("stop_reason").asText(), true, b.path("id").asText(), b);
        }
        var text = new StringBuilder();
        var calls = new ArrayList<String[]>();
        String finish = null;
        boolean done = false;
        String id = null;
        for (String d : EndpointsTest.sseData(body)) {
            JsonNode e = Json.parse(d);
            switch (e.path("type").asText()) {
                case "message_start" -> id = e.at("/message/id").asText();
                case "content_block_start" -> {
                    if ("tool_use".equals(e.at("/content_block/type").asText())) {
                        calls.add(new String[] {e.at("/content_block/id").asText(), e.at("/content_block/name").asText(), ""});
                    }
                }
                case "content_block_delta" -> {
                    JsonNode delta = e.path("delta");
                    if ("text_delta".equals(delta.path("type").asText())) text.append(delta.path("text").asText());
                    if ("input_json_delta".equals(delta.path("type").asText())) calls.getLast()[2] += delta.path("partial_json").asText();
                }
                case "message_delta" -> finish = e.at("/delta/stop_reason").asText();
                case "message_stop" -> done = true;
                default -> { }
            }
        }
        var out = new ArrayList<Call>();
        calls.forEach(c -> out.add(new Call(c[0], c[1], c[2].isEmpty() ? "{}" : c[2], false)));
        return new Turn(text.toString(), out, finish, done, id, null);
    }

    static Turn responses(String body, boolean stream) {
        JsonNode response;
        boolean done;
        if (!stream) {
            response = Json.parse(body);
            done = true;
        } else {
            response = null;
            done = false;
            for (String d : EndpointsTest.sseData(body)) {
                JsonNode e = Json.parse(d);
                String type = e.path("type").asText();
                if (type.equals("response.completed") || type.equals("response.incomplete")) {
                    response = e.path("response");
                    done = true;
                }
            }
            if (response == null) return new Turn("", List.of(), null, false, null, null);
        }
        var text = new StringBuilder();
        var calls = new ArrayList<Call>();
        for (JsonNode item : response.path("output")) {
            switch (item.path("type").asText()) {
                case "message" -> {
                    for (JsonNode part : item.path("content")) if (part.path("text").isTextual()) text.append(part.path("text").asText());
                }
                case "function_call" -> calls.add(new Call(item.path("call_id").asText(), item.path("name").asText(),
                        item.path("arguments").asText(), false));
                case "custom_tool_call" -> calls.add(new Call(item.path("call_id").asText(), item.path("name").asText(),
                        item.path("input").asText(), true));
                default -> { }
            }
        }
        return new Turn(text.toString(), calls, response.path("status").asText(), done, response.path("id").asText(), response);
    }
}
