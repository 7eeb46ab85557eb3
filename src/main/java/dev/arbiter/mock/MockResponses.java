package dev.arbiter.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * OpenAI Responses wire shapes for the fake upstream, written by hand, independently of Arbiter's codecs: the
 * Response object and its typed event stream. The output is one reasoning item when reasoning was asked for
 * (summary and encrypted content as the request chose), then a message, a {@code function_call} or a
 * {@code custom_tool_call}. Item ids share the response id's suffix ({@code resp_mock-7} has {@code rs_mock-7},
 * {@code msg_mock-7}, {@code fc_mock-7}, {@code ctc_mock-7}). An answer cut by {@code max_output_tokens} is
 * {@code incomplete}, and its stream ends with {@code response.incomplete}.
 *
 * <p>The stream is the exact sequence the real API sends, each event named by an {@code event:} line equal to its
 * {@code type} and numbered by {@code sequence_number} from 0: {@code response.created}, {@code response.in_progress};
 * per item {@code response.output_item.added}, its own events, {@code response.output_item.done}; then
 * {@code response.completed}. A message's own events are {@code content_part.added}, {@code output_text.delta} per
 * token, {@code output_text.done}, {@code content_part.done}; a function call's {@code function_call_arguments.delta}
 * and {@code .done}; a custom tool call's {@code custom_tool_call_input.delta} and {@code .done}; a reasoning item's,
 * when it has a summary, {@code reasoning_summary_part.added}, {@code reasoning_summary_text.delta} per token,
 * {@code reasoning_summary_text.done}, {@code reasoning_summary_part.done}.
 */
final class MockResponses {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private MockResponses() {}

    /** One answer, ready to write: its items in final form and the usage of the call. */
    record Answer(String id, long created, JsonNode body, MockResponsesRequest request, MockAnswer.Alternative alt,
                  List<ObjectNode> items, ObjectNode usage) {
        boolean incomplete() {
            return alt.finish() == MockAnswer.Finish.LENGTH;
        }
    }

    static Answer answer(String id, long created, JsonNode body, MockResponsesRequest req, MockAnswer a, long cached,
                         MockSigner signer) {
        MockAnswer.Alternative alt = a.alternatives().getFirst();
        String suffix = id.substring(id.indexOf('_') + 1);
        var items = new ArrayList<ObjectNode>();
        if (alt.hasReasoning()) {
            ObjectNode r = F.objectNode().put("id", "rs_" + suffix).put("type", "reasoning");
            ArrayNode summary = r.putArray("summary");
            if (req.summary()) summary.addObject().put("type", "summary_text").put("text", alt.reasoningText());
            if (req.encrypted()) {
                r.put("encrypted_content", signer.sign(MockSigner.Kind.ENCRYPTED_REASONING, req.model(), alt.reasoningText()));
            }
            items.add(r);
        }
        if (alt.isToolCall() && alt.toolCall().custom()) {
            items.add(F.objectNode().put("id", "ctc_" + suffix).put("type", "custom_tool_call").put("status", "completed")
                    .put("call_id", alt.toolCall().id()).put("name", alt.toolCall().name()).put("input", alt.toolCall().arguments()));
        } else if (alt.isToolCall()) {
            items.add(F.objectNode().put("id", "fc_" + suffix).put("type", "function_call").put("status", "completed")
                    .put("arguments", alt.toolCall().arguments()).put("call_id", alt.toolCall().id())
                    .put("name", alt.toolCall().name()));
        } else {
            ObjectNode m = F.objectNode().put("id", "msg_" + suffix).put("type", "message")
                    .put("status", alt.finish() == MockAnswer.Finish.LENGTH ? "incomplete" : "completed");
            m.putArray("content").add(outputText(alt.text()));
            m.put("role", "assistant");
            items.add(m);
        }
        long in = a.inputTokens();
        ObjectNode usage = F.objectNode().put("input_tokens", in);
        usage.putObject("input_tokens_details").put("cached_tokens", Math.min(cached, in));
        usage.put("output_tokens", a.outputTokens());
        usage.putObject("output_tokens_details").put("reasoning_tokens", alt.reasoning().size());
        usage.put("total_tokens", in + a.outputTokens());
        return new Answer(id, created, body, req, alt, items, usage);
    }

    private static ObjectNode outputText(String text) {
        ObjectNode p = F.objectNode().put("type", "output_text");
        p.putArray("annotations");
        p.putArray("logprobs");
        return p.put("text", text);
    }

    /** The Response object: {@code final} with its output and usage, else in progress with neither. */
    static ObjectNode response(Answer a, boolean done) {
        JsonNode b = a.body();
        String status = !done ? "in_progress" : a.incomplete() ? "incomplete" : "completed";
        ObjectNode o = F.objectNode().put("id", a.id()).put("object", "response").put("created_at", a.created())
                .put("status", status).put("background", false);
        o.putNull("error");
        if (done && a.incomplete()) o.putObject("incomplete_details").put("reason", "max_output_tokens");
        else o.putNull("incomplete_details");
        o.set("instructions", echo(b, "instructions", F.nullNode()));
        o.set("max_output_tokens", echo(b, "max_output_tokens", F.nullNode()));
        o.put("model", a.request().model());
        ArrayNode output = o.putArray("output");
        if (done) output.addAll(a.items());
        o.set("parallel_tool_calls", echo(b, "parallel_tool_calls", F.booleanNode(true)));
        o.putNull("previous_response_id");
        o.set("prompt_cache_key", echo(b, "prompt_cache_key", F.nullNode()));
        ObjectNode reasoning = o.putObject("reasoning");
        reasoning.set("effort", echo(b.path("reasoning"), "effort", F.nullNode()));
        reasoning.set("summary", echo(b.path("reasoning"), "summary", F.nullNode()));
        o.set("service_tier", echo(b, "service_tier", F.textNode("default")));
        o.set("store", echo(b, "store", F.booleanNode(true)));
        o.set("temperature", echo(b, "temperature", F.numberNode(1.0)));
        ObjectNode text = F.objectNode();
        text.putObject("format").put("type", "text");
        o.set("text", echo(b, "text", text));
        o.set("tool_choice", echo(b, "tool_choice", F.textNode("auto")));
        o.set("tools", echo(b, "tools", F.arrayNode()));
        o.set("top_p", echo(b, "top_p", F.numberNode(1.0)));
        o.set("truncation", echo(b, "truncation", F.textNode("disabled")));
        if (done) o.set("usage", a.usage());
        else o.putNull("usage");
        o.set("user", echo(b, "user", F.nullNode()));
        o.set("metadata", echo(b, "metadata", F.objectNode()));
        return o;
    }

    private static JsonNode echo(JsonNode body, String field, JsonNode dflt) {
        JsonNode v = body.get(field);
        return v == null || v.isNull() ? dflt : v;
    }

    /** The typed event stream of {@code a}. */
    static MockUpstream.Script stream(Answer a) {
        var s = new Events();
        s.add("response.created", F.objectNode().set("response", response(a, false)));
        s.add("response.in_progress", F.objectNode().set("response", response(a, false)));
        for (int i = 0; i < a.items().size(); i++) {
            ObjectNode item = a.items().get(i);
            String type = item.get("type").asText();
            String itemId = item.get("id").asText();
            s.add("response.output_item.added", F.objectNode().put("output_index", i).set("item", started(item)));
            switch (type) {
                case "reasoning" -> {
                    if (!item.path("summary").isEmpty()) summary(s, a, itemId, i);
                }
                case "message" -> {
                    ObjectNode part = outputText("");
                    s.add("response.content_part.added", at(itemId, i).put("content_index", 0).set("part", part));
                    for (String t : a.alt().tokens()) {
                        ObjectNode d = at(itemId, i).put("content_index", 0).put("delta", t);
                        d.putArray("logprobs");
                        s.token("response.output_text.delta", d);
                    }
                    ObjectNode done = at(itemId, i).put("content_index", 0).put("text", a.alt().text());
                    done.putArray("logprobs");
                    s.add("response.output_text.done", done);
                    s.add("response.content_part.done", at(itemId, i).put("content_index", 0)
                            .set("part", item.get("content").get(0)));
                }
                case "function_call" -> {
                    for (String f : a.alt().toolCall().fragments()) {
                        s.token("response.function_call_arguments.delta", at(itemId, i).put("delta", f));
                    }
                    s.add("response.function_call_arguments.done", at(itemId, i).put("name", a.alt().toolCall().name())
                            .put("arguments", a.alt().toolCall().arguments()));
                }
                default -> {
                    for (String f : a.alt().toolCall().fragments()) {
                        s.token("response.custom_tool_call_input.delta", at(itemId, i).put("delta", f));
                    }
                    s.add("response.custom_tool_call_input.done", at(itemId, i).put("input", a.alt().toolCall().arguments()));
                }
            }
            s.add("response.output_item.done", F.objectNode().put("output_index", i).set("item", item));
        }
        s.add(a.incomplete() ? "response.incomplete" : "response.completed", F.objectNode().set("response", response(a, true)));
        return s.script.malformed(MockWire.sse("response.output_text.delta",
                "{\"type\":\"response.output_text.delta\",\"sequence_number\":3,\"delta\":\"Mo"));
    }

    private static void summary(Events s, Answer a, String itemId, int i) {
        String text = a.alt().reasoningText();
        s.add("response.reasoning_summary_part.added", at(itemId, i).put("summary_index", 0)
                .set("part", F.objectNode().put("type", "summary_text").put("text", "")));
        for (String t : a.alt().reasoning()) {
            s.token("response.reasoning_summary_text.delta", at(itemId, i).put("summary_index", 0).put("delta", t));
        }
        s.add("response.reasoning_summary_text.done", at(itemId, i).put("summary_index", 0).put("text", text));
        s.add("response.reasoning_summary_part.done", at(itemId, i).put("summary_index", 0)
                .set("part", F.objectNode().put("type", "summary_text").put("text", text)));
    }

    /** An item as {@code output_item.added} shows it: in progress, its content, arguments or input still empty. */
    private static ObjectNode started(ObjectNode item) {
        ObjectNode o = item.deepCopy();
        switch (item.get("type").asText()) {
            case "reasoning" -> {
                o.putArray("summary");
                o.remove("encrypted_content");
            }
            case "message" -> o.put("status", "in_progress").putArray("content");
            case "function_call" -> o.put("status", "in_progress").put("arguments", "");
            default -> o.put("status", "in_progress").put("input", "");
        }
        return o;
    }

    private static ObjectNode at(String itemId, int outputIndex) {
        return F.objectNode().put("item_id", itemId).put("output_index", outputIndex);
    }

    /** Numbers events as they are added; the event line and the {@code type} field carry the same name. */
    private static final class Events {
        final MockScript script = new MockScript();
        int sequence;

        void add(String type, ObjectNode fields) {
            script.add(event(type, fields));
        }

        void token(String type, ObjectNode fields) {
            script.token(event(type, fields));
        }

        private byte[] event(String type, ObjectNode fields) {
            ObjectNode e = F.objectNode().put("type", type).put("sequence_number", sequence++);
            e.setAll(fields);
            return MockWire.sse(type, e.toString());
        }
    }
}
