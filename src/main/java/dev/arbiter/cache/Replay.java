package dev.arbiter.cache;

import dev.arbiter.llm.Choice;
import dev.arbiter.llm.FinishReason;
import dev.arbiter.llm.Frame;
import dev.arbiter.llm.FrameStream;
import dev.arbiter.llm.LlmResponse;
import dev.arbiter.llm.Message;
import dev.arbiter.llm.Part;
import dev.arbiter.llm.Role;
import dev.arbiter.llm.StreamEvent;
import dev.arbiter.llm.Usage;
import dev.arbiter.llm.WireFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;

/**
 * A stored answer in the shape a request asks for. A stream is replayed frame by frame as it was recorded (each
 * frame keeps its raw event, so a client of the recorded format gets the upstream's own bytes, and every other
 * client its own encoding of the events); a complete answer asked for as a stream becomes the events of one
 * (text in short pieces); a stream asked for whole is assembled into one response.
 */
final class Replay {
    /** Text of a complete answer replayed as a stream goes in pieces of about this many characters. */
    private static final int PIECE = 48;

    private Replay() {}

    /** The answer as a stream of frames. */
    static FrameStream stream(CachedAnswer.Body body) {
        return switch (body) {
            case CachedAnswer.Recorded r -> new Frames(r.format(), r.frames());
            case CachedAnswer.Whole w -> new Frames(w.response().format(), frames(w.response()));
        };
    }

    /** The answer as one complete response. */
    static LlmResponse whole(CachedAnswer.Body body, long createdSeconds) {
        return switch (body) {
            case CachedAnswer.Whole w -> w.response();
            case CachedAnswer.Recorded r -> assemble(r, createdSeconds);
        };
    }

    /** The events a stream of {@code r} would have carried. */
    static List<Frame> frames(LlmResponse r) {
        var out = new ArrayList<Frame>();
        WireFormat f = r.format();
        out.add(Frame.of(f, null, new StreamEvent.Started(r.id(), r.model(), r.usage().inputTokens())));
        for (Choice c : r.choices()) {
            int ci = c.index();
            int tool = 0;
            for (Part p : c.message().parts()) {
                switch (p) {
                    case Part.Reasoning z -> {
                        if (z.redacted()) {
                            out.add(Frame.of(f, null, new StreamEvent.RedactedReasoning(ci, z.encrypted())));
                            continue;
                        }
                        if (z.text() != null && !z.text().isEmpty()) out.add(Frame.of(f, null, new StreamEvent.ReasoningDelta(ci, z.text())));
                        String sig = z.signature() != null ? z.signature() : z.encrypted();
                        if (sig != null) out.add(Frame.of(f, null, new StreamEvent.ReasoningSignature(ci, sig, z.id())));
                    }
                    case Part.Text t -> {
                        String s = t.text();
                        for (int i = 0; i < s.length(); ) {
                            int end = pieceEnd(s, i);
                            out.add(Frame.of(f, null, new StreamEvent.TextDelta(ci, s.substring(i, end))));
                            i = end;
                        }
                    }
                    case Part.ToolCall call -> {
                        out.add(Frame.of(f, null, new StreamEvent.ToolCallStarted(ci, tool, call.id(), call.name(), false)));
                        out.add(Frame.of(f, null, new StreamEvent.ToolArgumentsDelta(ci, tool++, call.arguments())));
                    }
                    case Part.CustomToolCall call -> {
                        out.add(Frame.of(f, null, new StreamEvent.ToolCallStarted(ci, tool, call.id(), call.name(), true)));
                        out.add(Frame.of(f, null, new StreamEvent.ToolArgumentsDelta(ci, tool++, call.input())));
                    }
                    default -> { }   // an answer's message holds none of the others
                }
            }
            out.add(Frame.of(f, null, new StreamEvent.Finished(ci, c.finishReason() == null ? FinishReason.STOP : c.finishReason(),
                    c.stopSequence())));
        }
        if (!r.usage().equals(Usage.NONE)) out.add(Frame.of(f, null, new StreamEvent.UsageReported(r.usage())));
        out.add(Frame.of(f, null, new StreamEvent.Completed()));
        return out;
    }

    /** Ends a piece after a space near {@link #PIECE} characters, never inside a surrogate pair. */
    private static int pieceEnd(String s, int from) {
        int end = Math.min(s.length(), from + PIECE);
        if (end < s.length()) {
            int space = s.lastIndexOf(' ', end);
            if (space > from) end = space + 1;
            else if (Character.isHighSurrogate(s.charAt(end - 1))) end--;
        }
        return end;
    }

    /** One response from a recorded stream's events. */
    static LlmResponse assemble(CachedAnswer.Recorded r, long createdSeconds) {
        String id = null;
        String model = null;
        Usage usage = Usage.NONE;
        Map<Integer, ChoiceBuilder> choices = new TreeMap<>();
        for (Frame frame : r.frames()) {
            for (StreamEvent e : frame.events()) {
                switch (e) {
                    case StreamEvent.Started s -> {
                        id = s.id();
                        model = s.model();
                        if (s.inputTokens() > 0 && usage.equals(Usage.NONE)) usage = Usage.of(s.inputTokens(), 0);
                    }
                    case StreamEvent.TextDelta t -> choice(choices, t.choice()).text(t.text());
                    case StreamEvent.ReasoningDelta z -> choice(choices, z.choice()).reasoning(z.text());
                    case StreamEvent.ReasoningSignature s -> choice(choices, s.choice()).signature(s, r.format());
                    case StreamEvent.RedactedReasoning z -> choice(choices, z.choice()).parts
                            .add(new Part.Reasoning(null, null, z.data(), true, null, null, null));
                    case StreamEvent.ToolCallStarted t -> choice(choices, t.choice()).toolStarted(t);
                    case StreamEvent.ToolArgumentsDelta a -> choice(choices, a.choice()).toolArguments(a);
                    case StreamEvent.Finished fin -> {
                        var c = choice(choices, fin.choice());
                        c.finish = fin.reason();
                        c.stopSequence = fin.stopSequence();
                    }
                    case StreamEvent.UsageReported u -> usage = u.usage();
                    case StreamEvent.Completed c -> { }
                }
            }
        }
        if (choices.isEmpty()) choices.put(0, new ChoiceBuilder());
        var out = new ArrayList<Choice>(choices.size());
        choices.forEach((index, c) -> out.add(c.build(index)));
        return new LlmResponse(id, model, createdSeconds, out, usage, r.format(), null);
    }

    private static ChoiceBuilder choice(Map<Integer, ChoiceBuilder> choices, int index) {
        return choices.computeIfAbsent(index, i -> new ChoiceBuilder());
    }

    /** One choice's parts as its events arrive, in the order they began. */
    private static final class ChoiceBuilder {
        final List<Object> parts = new ArrayList<>();   // Part, or a StringBuilder-backed builder below
        final Map<Integer, Tool> tools = new TreeMap<>();
        FinishReason finish = FinishReason.STOP;
        String stopSequence;

        private record Text(StringBuilder sb) {}

        private static final class Reasoning {
            final StringBuilder sb = new StringBuilder();
            String signature;
            String encrypted;
            String id;
        }

        private static final class Tool {
            String id;
            String name;
            boolean custom;
            final StringBuilder arguments = new StringBuilder();
        }

        void text(String s) {
            if (!parts.isEmpty() && parts.getLast() instanceof Text t) t.sb.append(s);
            else parts.add(new Text(new StringBuilder(s)));
        }

        void reasoning(String s) {
            if (!parts.isEmpty() && parts.getLast() instanceof Reasoning z && z.signature == null && z.encrypted == null) z.sb.append(s);
            else {
                var z = new Reasoning();
                z.sb.append(s);
                parts.add(z);
            }
        }

        void signature(StreamEvent.ReasoningSignature s, WireFormat format) {
            Reasoning z = null;
            for (int i = parts.size() - 1; i >= 0 && z == null; i--) if (parts.get(i) instanceof Reasoning r) z = r;
            if (z == null || z.signature != null || z.encrypted != null) {
                z = new Reasoning();
                parts.add(z);
            }
            if (format == WireFormat.OPENAI_RESPONSES) z.encrypted = s.signature();
            else z.signature = s.signature();
            z.id = s.itemId();
        }

        void toolStarted(StreamEvent.ToolCallStarted t) {
            var tool = new Tool();
            tool.id = t.id();
            tool.name = t.name();
            tool.custom = t.custom();
            tools.put(t.index(), tool);
            parts.add(tool);
        }

        void toolArguments(StreamEvent.ToolArgumentsDelta a) {
            Tool tool = tools.get(a.index());
            if (tool == null) {
                tool = new Tool();
                tools.put(a.index(), tool);
                parts.add(tool);
            }
            tool.arguments.append(a.fragment());
        }

        Choice build(int index) {
            var out = new ArrayList<Part>(parts.size());
            for (Object o : parts) {
                out.add(switch (o) {
                    case Text t -> Part.Text.of(t.sb.toString());
                    case Reasoning z -> new Part.Reasoning(z.sb.toString(), z.signature, z.encrypted, false, z.id, null, null);
                    case Tool t -> t.custom ? new Part.CustomToolCall(t.id, t.name, t.arguments.toString(), null)
                            : new Part.ToolCall(t.id, t.name, t.arguments.toString(), null);
                    default -> throw new IllegalStateException("unexpected part builder " + o);
                });
            }
            return new Choice(index, new Message(Role.ASSISTANT, out, null, null), finish, stopSequence, null);
        }
    }

    /** Stored frames as a stream: every frame is already here, so the writer sends them as fast as it can. */
    private static final class Frames implements FrameStream {
        private final WireFormat format;
        private final List<Frame> frames;
        private int next;

        Frames(WireFormat format, List<Frame> frames) {
            this.format = format;
            this.frames = frames;
        }

        @Override
        public WireFormat format() {
            return format;
        }

        @Override
        public boolean ready() {
            return true;
        }

        @Override
        public boolean hasNext() {
            return next < frames.size();
        }

        @Override
        public Frame next() {
            if (next >= frames.size()) throw new NoSuchElementException();
            return frames.get(next++);
        }

        @Override
        public void close() {
            next = frames.size();
        }
    }
}
