package dev.arbiter.chat;

import dev.arbiter.wire.Json;
import dev.arbiter.wire.StreamDecoder;
import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.FinishReason;
import dev.arbiter.llm.SseEvent;
import dev.arbiter.llm.StreamEvent;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * OpenAI chat (and legacy completion) stream chunks to typed events. Reads {@code reasoning_content} and
 * {@code reasoning} deltas (DeepSeek, vLLM, OpenRouter). The stream is complete at {@code [DONE]}; servers that
 * omit it are accepted once every choice has finished.
 */
public final class ChatStreamDecoder implements StreamDecoder {
    private boolean started;
    private boolean done;
    private boolean finished;

    @Override
    public List<StreamEvent> decode(SseEvent event) {
        String data = event.data();
        if (data == null) return List.of();
        if (data.equals("[DONE]")) {
            done = true;
            return List.of(new StreamEvent.Completed());
        }
        JsonNode chunk;
        try {
            chunk = Json.MAPPER.readTree(data);
        } catch (IOException e) {
            throw new ArbiterException.Upstream(502, "upstream sent a stream chunk that is not JSON", "upstream_bad_response", null);
        }
        if (chunk.has("error")) {
            JsonNode err = chunk.get("error");
            int status = err.path("code").isInt() ? err.path("code").asInt() : 502;
            throw new ArbiterException.Upstream(status >= 400 && status < 600 ? status : 502,
                    "upstream reported an error mid-stream", "upstream_stream_error", null);
        }
        var out = new ArrayList<StreamEvent>(3);
        if (!started) {
            started = true;
            out.add(new StreamEvent.Started(Json.text(chunk, "id"), Json.text(chunk, "model"), 0));
        }
        JsonNode choices = chunk.get("choices");
        if (choices != null && choices.isArray()) {
            for (JsonNode c : choices) decodeChoice(c, out);
        }
        JsonNode usage = chunk.get("usage");
        if (usage != null && usage.isObject()) out.add(new StreamEvent.UsageReported(ChatResponses.decodeUsage(usage)));
        return out;
    }

    private void decodeChoice(JsonNode c, List<StreamEvent> out) {
        int choice = c.path("index").asInt(0);
        JsonNode delta = c.get("delta");
        if (delta != null && delta.isObject()) {
            String reasoning = Json.text(delta, "reasoning_content");
            if (reasoning == null) reasoning = Json.text(delta, "reasoning");
            if (reasoning != null && !reasoning.isEmpty()) out.add(new StreamEvent.ReasoningDelta(choice, reasoning));
            String content = Json.text(delta, "content");
            if (content != null && !content.isEmpty()) out.add(new StreamEvent.TextDelta(choice, content));
            JsonNode calls = delta.get("tool_calls");
            if (calls != null && calls.isArray()) {
                for (JsonNode call : calls) {
                    int index = call.path("index").asInt(0);
                    boolean custom = "custom".equals(Json.text(call, "type"));
                    JsonNode fn = custom ? call.path("custom") : call.path("function");
                    String id = Json.text(call, "id");
                    String name = Json.text(fn, "name");
                    if (id != null || name != null) out.add(new StreamEvent.ToolCallStarted(choice, index, id, name, custom));
                    String args = Json.text(fn, custom ? "input" : "arguments");
                    if (args != null && !args.isEmpty()) out.add(new StreamEvent.ToolArgumentsDelta(choice, index, args));
                }
            }
        } else if (c.has("text")) {
            String text = c.get("text").asText();
            if (!text.isEmpty()) out.add(new StreamEvent.TextDelta(choice, text));
        }
        String finish = Json.text(c, "finish_reason");
        if (finish != null) {
            finished = true;
            out.add(new StreamEvent.Finished(choice, FinishReason.fromOpenAi(finish), null));
        }
    }

    @Override
    public boolean complete() {
        return done || finished;
    }
}
