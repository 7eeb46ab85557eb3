package dev.arbiter.chat;

import dev.arbiter.wire.ErrorBodies;
import dev.arbiter.wire.Json;
import dev.arbiter.wire.StreamEncoder;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.error.ErrorKind;
import dev.arbiter.llm.Frame;
import dev.arbiter.llm.SseEvent;
import dev.arbiter.llm.StreamEvent;
import dev.arbiter.llm.Usage;
import dev.arbiter.llm.WireFormat;
import java.util.ArrayList;
import java.util.List;

/**
 * Server-sent events for an OpenAI chat (or, with {@code legacy}, completions) client. Chat frames from a chat
 * upstream pass as they came, except the usage-only chunk Arbiter asked for on the client's behalf when the
 * client did not ask for usage itself. Typed events from other formats become chunks one by one.
 */
public final class ChatStreamEncoder implements StreamEncoder {
    private static final SseEvent DONE = SseEvent.data("[DONE]");

    private final String id;
    private final String model;
    private final long created;
    private final boolean includeUsage;
    private final boolean legacy;
    private boolean roleSent;
    private boolean doneSent;
    private boolean usageSent;
    private Usage usage;

    public ChatStreamEncoder(String id, String model, boolean includeUsage, boolean legacy) {
        this.id = legacy ? "cmpl-" + ChatResponses.idSuffix(id) : ChatResponses.chatId(id);
        this.model = model;
        this.created = System.currentTimeMillis() / 1000;
        this.includeUsage = includeUsage;
        this.legacy = legacy;
    }

    @Override
    public List<SseEvent> encode(Frame frame) {
        if (frame.format() == WireFormat.OPENAI_CHAT && frame.raw() != null) return passThrough(frame);
        var out = new ArrayList<SseEvent>(frame.events().size());
        for (StreamEvent e : frame.events()) encodeEvent(e, out);
        return out;
    }

    private List<SseEvent> passThrough(Frame frame) {
        boolean usageOnly = false;
        for (StreamEvent e : frame.events()) {
            switch (e) {
                case StreamEvent.Completed c -> doneSent = true;
                case StreamEvent.UsageReported u -> usageOnly = true;
                case StreamEvent.Started s -> { }
                default -> usageOnly = false;
            }
        }
        if (usageOnly && !includeUsage && frame.raw().data() != null && frame.raw().data().contains("\"choices\":[]")) {
            return List.of();
        }
        return List.of(frame.raw());
    }

    private void encodeEvent(StreamEvent e, List<SseEvent> out) {
        switch (e) {
            case StreamEvent.Started s -> ensureRole(out);
            case StreamEvent.TextDelta t -> {
                ensureRole(out);
                if (legacy) out.add(legacyChunk(t.choice(), t.text(), null));
                else out.add(chunk(t.choice(), Json.object().put("content", t.text()), null));
            }
            case StreamEvent.ReasoningDelta r -> {
                if (legacy) return;
                ensureRole(out);
                out.add(chunk(r.choice(), Json.object().put("reasoning_content", r.text()), null));
            }
            case StreamEvent.ToolCallStarted t -> {
                if (legacy) return;
                ensureRole(out);
                ObjectNode delta = Json.object();
                ObjectNode call = delta.putArray("tool_calls").addObject().put("index", t.index()).put("id", t.id());
                if (t.custom()) call.put("type", "custom").putObject("custom").put("name", t.name()).put("input", "");
                else call.put("type", "function").putObject("function").put("name", t.name()).put("arguments", "");
                out.add(chunk(t.choice(), delta, null));
            }
            case StreamEvent.ToolArgumentsDelta a -> {
                if (legacy) return;
                ObjectNode delta = Json.object();
                delta.putArray("tool_calls").addObject().put("index", a.index())
                        .putObject("function").put("arguments", a.fragment());
                out.add(chunk(a.choice(), delta, null));
            }
            case StreamEvent.Finished f -> {
                ensureRole(out);
                out.add(legacy ? legacyChunk(f.choice(), "", f.reason().toOpenAi())
                        : chunk(f.choice(), Json.object(), f.reason().toOpenAi()));
            }
            case StreamEvent.UsageReported u -> usage = u.usage();
            case StreamEvent.Completed c -> out.addAll(finish());
            case StreamEvent.ReasoningSignature s -> { }
            case StreamEvent.RedactedReasoning r -> { }
        }
    }

    private void ensureRole(List<SseEvent> out) {
        if (roleSent || legacy) return;
        roleSent = true;
        out.add(chunk(0, Json.object().put("role", "assistant").put("content", ""), null));
    }

    private ObjectNode base() {
        return Json.object().put("id", id).put("object", legacy ? "text_completion" : "chat.completion.chunk")
                .put("created", created).put("model", model);
    }

    private SseEvent chunk(int choice, ObjectNode delta, String finish) {
        ObjectNode o = base();
        ObjectNode c = o.putArray("choices").addObject().put("index", choice);
        c.set("delta", delta);
        c.putNull("logprobs");
        if (finish == null) c.putNull("finish_reason");
        else c.put("finish_reason", finish);
        return SseEvent.data(Json.string(o));
    }

    private SseEvent legacyChunk(int choice, String text, String finish) {
        ObjectNode o = base();
        ObjectNode c = o.putArray("choices").addObject().put("text", text).put("index", choice);
        c.putNull("logprobs");
        if (finish == null) c.putNull("finish_reason");
        else c.put("finish_reason", finish);
        return SseEvent.data(Json.string(o));
    }

    @Override
    public List<SseEvent> finish() {
        if (doneSent) return List.of();
        doneSent = true;
        var out = new ArrayList<SseEvent>(2);
        if (includeUsage && !usageSent) {
            usageSent = true;
            ObjectNode o = base();
            o.set("choices", Json.array());
            o.set("usage", legacy ? legacyUsage(usage == null ? Usage.NONE : usage)
                    : ChatResponses.encodeUsage(usage == null ? Usage.NONE : usage));
            out.add(SseEvent.data(Json.string(o)));
        }
        out.add(DONE);
        return out;
    }

    private static ObjectNode legacyUsage(Usage u) {
        return Json.object().put("prompt_tokens", u.inputTokens()).put("completion_tokens", u.outputTokens())
                .put("total_tokens", u.totalTokens());
    }

    @Override
    public List<SseEvent> error(ArbiterException e) {
        doneSent = true;
        return List.of(SseEvent.data(Json.string(ErrorBodies.openAi(e, ErrorKind.of(e)))));
    }

    @Override
    public SseEvent keepAlive() {
        return SseEvent.comment(" keep-alive");
    }
}
