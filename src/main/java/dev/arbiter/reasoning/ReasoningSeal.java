package dev.arbiter.reasoning;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.llm.Choice;
import dev.arbiter.llm.Frame;
import dev.arbiter.llm.FrameStream;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.LlmResponse;
import dev.arbiter.llm.Message;
import dev.arbiter.llm.Part;
import dev.arbiter.llm.StreamEvent;
import dev.arbiter.llm.WireFormat;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where reasoning crosses a backend's boundary, in both directions, for one backend identity (its native
 * wire format and upstream model).
 *
 * <p>Out of a backend: every reasoning part gets a portable token, an {@link ReasoningEnvelope} holding what
 * this backend needs back (its text, its own signature or encrypted content, its item id), in both
 * {@code signature} and {@code encrypted}, so that whichever format the client speaks carries it in its own
 * field. Streams are sealed as they pass: a native signature event is replaced by the envelope; chat
 * reasoning, which has none, gets one injected when its reasoning ends.
 *
 * <p>Into a backend: on a translated request, reasoning parts whose envelope opens for this backend are
 * rebuilt in native form from the envelope (never from echoed text); all others are dropped. On a pass-through
 * body, envelopes are unwrapped to the native token or the block is removed. Nothing is forged.
 */
public final class ReasoningSeal {
    private final ReasoningEnvelope envelope;
    private final WireFormat format;
    private final String model;

    /** @param envelope the gateway's envelope, which seals and opens the tokens */
    public ReasoningSeal(ReasoningEnvelope envelope, WireFormat format, String model) {
        this.envelope = envelope;
        this.format = format;
        this.model = model;
    }

    private String seal(String text, String token, String itemId, boolean redacted) {
        return envelope.seal(new ReasoningEnvelope.Sealed(format, model, text, token, itemId, redacted));
    }

    private Part.Reasoning sealed(Part.Reasoning r) {
        String nativeToken = switch (format) {
            case ANTHROPIC_MESSAGES -> r.redacted() ? r.encrypted() : r.signature();
            case OPENAI_RESPONSES -> r.encrypted();
            case OPENAI_CHAT -> null;
        };
        if (ReasoningEnvelope.isEnvelope(nativeToken)) return r;
        String token = seal(r.text(), nativeToken, r.id(), r.redacted());
        return new Part.Reasoning(r.text(), token, token, r.redacted(), r.id(), r.summary(), r.extra());
    }

    /** The answer with every reasoning part carrying a portable envelope. */
    public LlmResponse seal(LlmResponse r) {
        boolean any = false;
        var choices = new ArrayList<Choice>(r.choices().size());
        for (Choice c : r.choices()) {
            var parts = new ArrayList<Part>(c.message().parts().size());
            for (Part p : c.message().parts()) {
                if (p instanceof Part.Reasoning reasoning) {
                    parts.add(sealed(reasoning));
                    any = true;
                } else {
                    parts.add(p);
                }
            }
            Message m = c.message();
            choices.add(new Choice(c.index(), new Message(m.role(), parts, m.name(), m.extra()), c.finishReason(),
                    c.stopSequence(), c.logprobs()));
        }
        return any ? new LlmResponse(r.id(), r.model(), r.created(), choices, r.usage(), r.format(), r.raw()) : r;
    }

    /** A stream whose reasoning events carry portable envelopes; raw frames are untouched. */
    public FrameStream seal(FrameStream stream) {
        return new SealingStream(stream);
    }

    /** What the envelope in {@code r} holds for this backend, if it is one of this backend's. */
    public Optional<ReasoningEnvelope.Sealed> open(Part.Reasoning r) {
        String token = ReasoningEnvelope.isEnvelope(r.signature()) ? r.signature() : r.encrypted();
        return envelope.openFor(token, format, model);
    }

    /** A translated request with reasoning rebuilt in this backend's native form, or dropped when not its own. */
    public LlmRequest resolve(LlmRequest req) {
        boolean any = false;
        var messages = new ArrayList<Message>(req.messages().size());
        for (Message m : req.messages()) {
            var parts = new ArrayList<Part>(m.parts().size());
            for (Part p : m.parts()) {
                if (p instanceof Part.Reasoning r) {
                    any = true;
                    open(r).ifPresent(s -> parts.add(new Part.Reasoning(s.text(), s.redacted() ? null : s.token(),
                            s.redacted() || format == WireFormat.OPENAI_RESPONSES ? s.token() : null, s.redacted(),
                            s.itemId(), r.summary(), null)));
                } else {
                    parts.add(p);
                }
            }
            messages.add(new Message(m.role(), parts, m.name(), m.extra()));
        }
        return any ? req.toBuilder().messages(messages).build() : req;
    }

    /**
     * A pass-through body (already a copy) with envelopes unwrapped: Anthropic thinking signatures and
     * redacted data, Responses reasoning items' encrypted content. Blocks whose envelope is not this backend's
     * are removed.
     */
    public void unwrap(ObjectNode body) {
        switch (format) {
            case ANTHROPIC_MESSAGES -> {
                for (JsonNode m : body.path("messages")) {
                    if (m.get("content") instanceof ArrayNode blocks) unwrapBlocks(blocks);
                }
            }
            case OPENAI_RESPONSES -> {
                if (body.get("input") instanceof ArrayNode items) {
                    for (int i = items.size() - 1; i >= 0; i--) {
                        JsonNode item = items.get(i);
                        if (!"reasoning".equals(item.path("type").asText())) continue;
                        String token = item.path("encrypted_content").asText(null);
                        if (!ReasoningEnvelope.isEnvelope(token)) continue;
                        var s = envelope.openFor(token, format, model);
                        if (s.isPresent() && s.get().token() != null) ((ObjectNode) item).put("encrypted_content", s.get().token());
                        else items.remove(i);
                    }
                }
            }
            case OPENAI_CHAT -> { }
        }
    }

    private void unwrapBlocks(ArrayNode blocks) {
        for (int i = blocks.size() - 1; i >= 0; i--) {
            JsonNode b = blocks.get(i);
            String type = b.path("type").asText();
            String field = type.equals("thinking") ? "signature" : type.equals("redacted_thinking") ? "data" : null;
            if (field == null) continue;
            String token = b.path(field).asText(null);
            if (!ReasoningEnvelope.isEnvelope(token)) continue;
            var s = envelope.openFor(token, format, model);
            if (s.isPresent() && s.get().token() != null) ((ObjectNode) b).put(field, s.get().token());
            else blocks.remove(i);
        }
    }

    /** Whether a body may hold envelopes at all: a cheap test before walking it. */
    public static boolean mayHoldEnvelopes(LlmRequest req) {
        for (Message m : req.messages()) {
            for (Part p : m.parts()) {
                if (p instanceof Part.Reasoning r && (ReasoningEnvelope.isEnvelope(r.signature())
                        || ReasoningEnvelope.isEnvelope(r.encrypted()))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Seals reasoning events of one stream as they pass. */
    private final class SealingStream implements FrameStream {
        private final FrameStream inner;
        private final Map<Integer, StringBuilder> open = new HashMap<>();

        SealingStream(FrameStream inner) {
            this.inner = inner;
        }

        @Override
        public WireFormat format() {
            return inner.format();
        }

        @Override
        public boolean ready() {
            return inner.ready();
        }

        @Override
        public boolean hasNext() {
            return inner.hasNext();
        }

        @Override
        public Frame next() {
            Frame f = inner.next();
            if (open.isEmpty() && !touchesReasoning(f)) return f;
            var out = new ArrayList<StreamEvent>(f.events().size() + 1);
            for (StreamEvent e : f.events()) {
                switch (e) {
                    case StreamEvent.ReasoningDelta d -> {
                        open.computeIfAbsent(d.choice(), k -> new StringBuilder()).append(d.text());
                        out.add(d);
                    }
                    case StreamEvent.ReasoningSignature s -> {
                        StringBuilder text = open.remove(s.choice());
                        out.add(new StreamEvent.ReasoningSignature(s.choice(), ReasoningEnvelope.isEnvelope(s.signature())
                                ? s.signature() : seal(text == null ? null : text.toString(), s.signature(), s.itemId(), false),
                                s.itemId()));
                    }
                    case StreamEvent.RedactedReasoning r -> out.add(new StreamEvent.RedactedReasoning(r.choice(),
                            seal(null, r.data(), null, true)));
                    case StreamEvent.TextDelta t -> closeChatReasoning(t.choice(), out, e);
                    case StreamEvent.ToolCallStarted t -> closeChatReasoning(t.choice(), out, e);
                    case StreamEvent.Finished fin -> closeChatReasoning(fin.choice(), out, e);
                    default -> out.add(e);
                }
            }
            return new Frame(f.format(), f.raw(), out);
        }

        private static boolean touchesReasoning(Frame f) {
            for (StreamEvent e : f.events()) {
                if (e instanceof StreamEvent.ReasoningDelta || e instanceof StreamEvent.ReasoningSignature
                        || e instanceof StreamEvent.RedactedReasoning) {
                    return true;
                }
            }
            return false;
        }

        /** Chat reasoning has no signature event: its envelope goes out when its reasoning ends. */
        private void closeChatReasoning(int choice, List<StreamEvent> out, StreamEvent next) {
            if (format == WireFormat.OPENAI_CHAT) {
                StringBuilder text = open.remove(choice);
                if (text != null) out.add(new StreamEvent.ReasoningSignature(choice, seal(text.toString(), null, null, false)));
            }
            out.add(next);
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
