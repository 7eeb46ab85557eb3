package dev.arbiter.mock;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.Choice;
import dev.arbiter.llm.FinishReason;
import dev.arbiter.llm.Frame;
import dev.arbiter.llm.FrameStream;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.LlmResponse;
import dev.arbiter.llm.Message;
import dev.arbiter.llm.Operation;
import dev.arbiter.llm.Part;
import dev.arbiter.llm.Role;
import dev.arbiter.llm.StreamEvent;
import dev.arbiter.llm.Tool;
import dev.arbiter.llm.ToolChoice;
import dev.arbiter.llm.Usage;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.mock.MockEngine.Prompt;
import dev.arbiter.mock.MockPlan.Fault;
import dev.arbiter.pipeline.Deadline;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.pipeline.ServedBy;
import dev.arbiter.config.ProviderRule;
import dev.arbiter.provider.Provider;
import dev.arbiter.provider.ProviderKind;
import dev.arbiter.provider.Deployment;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Provider {@code mock}: Arbiter's fake model answering in process, without HTTP. Answers come from
 * {@link MockEngine} in the OpenAI chat shape (complete answers have no {@code raw} body, stream frames no raw
 * event, except embeddings, whose OpenAI JSON is the {@code raw} body); faults surface as the exceptions the
 * HTTP providers raise for the same upstream behaviour. Errors, rate limits, resets and malformed bodies
 * fail at once; a hang waits for the exchange's deadline.
 *
 * <p>When the request asks for reasoning (a reasoning effort other than {@code none}, a thinking budget, or
 * Anthropic's adaptive thinking), each answer opens with a {@link Part.Reasoning} whose {@code signature} is a
 * {@link MockSigner} token (streamed as {@link StreamEvent.ReasoningDelta}s, then one
 * {@link StreamEvent.ReasoningSignature}); a custom tool is answered with a {@link Part.CustomToolCall}. Echoed
 * reasoning is not checked in process; the HTTP fake does that.
 */
public final class MockProvider implements Provider {
    private final MockEngine engine;

    /** {@code provider: mock}: answered in process, no upstream. Registered by the CLI wiring alone. */
    public static final ProviderKind KIND = new ProviderKind(new ProviderRule("mock", List.of("chat"), false, false),
            api -> WireFormat.OPENAI_CHAT, (d, context) -> new MockProvider(d.section(MockConfig.SECTION)));

    public MockProvider(MockConfig config) {
        this(new MockEngine(config));
    }

    MockProvider(MockConfig config, MockEngine.Sleeper sleeper, InstantSource clock) {
        this(new MockEngine(config, sleeper, clock));
    }

    private MockProvider(MockEngine engine) {
        this.engine = engine;
    }

    @Override
    public Reply call(Exchange exchange, Deployment deployment) {
        LlmRequest req = exchange.request();
        String label = "mock upstream " + deployment.name();
        var servedBy = new ServedBy(deployment.model(), deployment.name(), "mock");
        boolean stream = req.stream() && req.operation() != Operation.EMBEDDING;
        MockPlan plan = engine.plan(stream);
        failFast(plan.fault(), label, exchange.deadline());
        pause(engine.sleeper(), plan.latency().toNanos(), exchange.deadline(), () -> false, label);
        if (!stream && plan.fault() instanceof Fault.Malformed) throw malformed(label);
        String model = deployment.upstreamModel();
        List<MockAnswer> answers;
        try {
            if (req.operation() == Operation.EMBEDDING) return new Reply.Complete(embeddings(req, model), servedBy);
            answers = answers(req);
        } catch (MockLimits.Exceeded e) {
            throw new ArbiterException.BadRequest(e.getMessage(), e.param);
        }
        if (!stream) return new Reply.Complete(response(answers, model), servedBy);
        String id = engine.nextId("chatcmpl-");
        return new Reply.Streaming(new Stream(frames(id, model, answers, engine.signer()), plan, engine.sleeper(),
                exchange.deadline(), label), servedBy);
    }

    private void failFast(Fault fault, String label, Deadline deadline) {
        switch (fault) {
            case Fault.Error(int status) -> throw injected(status, null);
            case Fault.RateLimited(var retryAfter) -> throw injected(429, retryAfter);
            case Fault.Reset r -> throw new ArbiterException.Upstream(0, label + " closed the connection without an answer",
                    "upstream_connection_error", null);
            case Fault.Hang h -> {
                pause(engine.sleeper(), Long.MAX_VALUE, deadline, () -> false, label);
                throw new ArbiterException.DeadlineExceeded("request deadline exceeded waiting for " + label);
            }
            case Fault.None n -> { }
            case Fault.Malformed m -> { }
            case Fault.Drop d -> { }
        }
    }

    private static ArbiterException.Upstream injected(int status, Duration retryAfter) {
        return new ArbiterException.Upstream(status, "mock upstream injected HTTP " + status, "upstream_http_" + status,
                retryAfter);
    }

    static ArbiterException.Upstream malformed(String label) {
        return new ArbiterException.Upstream(502, label + " answered with a malformed body", "upstream_bad_response", null);
    }

    /** One answer per prompt: a chat has one; a legacy completion one per prompt of its input. */
    private List<MockAnswer> answers(LlmRequest req) {
        int n = n(req);
        int max = req.maxTokens() == null ? Integer.MAX_VALUE : req.maxTokens();
        if (req.operation() == Operation.COMPLETION && req.input() != null) {
            List<MockEngine.Input> prompts = MockEngine.inputs(req.input());
            max = Math.min(max, MockLimits.tokensPerChoice(MockLimits.choices(prompts.size(), n)));
            var out = new ArrayList<MockAnswer>();
            for (MockEngine.Input in : prompts) {
                out.add(engine.answer(new Prompt(in.text(), List.of(), true, null, false, max, n)));
            }
            return out;
        }
        return List.of(engine.answer(prompt(req, n, max)));
    }

    static Prompt prompt(LlmRequest req, int n, int maxTokens) {
        var text = new StringBuilder();
        for (Message m : req.messages()) {
            for (Part p : m.parts()) {
                if (p instanceof Part.Text t) text.append(t.text());
                else if (p instanceof Part.ToolResult r) text.append(r.text());
            }
        }
        var tools = new ArrayList<MockEngine.ToolSpec>();
        for (Tool t : req.tools()) {
            if (t.isFunction() || t.isCustom()) tools.add(new MockEngine.ToolSpec(t.name(), t.parameters(), t.isCustom()));
        }
        boolean allowed = !(req.toolChoice() instanceof ToolChoice.None);
        String named = req.toolChoice() instanceof ToolChoice.Named(String name) ? name : null;
        Message last = req.messages().isEmpty() ? null : req.messages().getLast();
        boolean afterTool = last != null && (last.role() == Role.TOOL || !last.parts(Part.ToolResult.class).isEmpty());
        return new Prompt(text.toString(), tools, allowed, named, afterTool, maxTokens, n, reasoningTokens(req),
                userText(req.messages()), afterTool ? toolResults(req.messages()) : "");
    }

    /** The texts of the last user message that holds no tool result, joined by newlines. */
    private static String userText(List<Message> messages) {
        for (Message m : messages.reversed()) {
            if (m.role() != Role.USER || !m.parts(Part.ToolResult.class).isEmpty()) continue;
            var texts = new ArrayList<String>();
            for (Part.Text t : m.parts(Part.Text.class)) texts.add(t.text());
            return String.join("\n", texts);
        }
        return "";
    }

    /** The texts of the tool results in the messages that end the conversation, joined by newlines. */
    private static String toolResults(List<Message> messages) {
        var out = new ArrayList<String>();
        for (Message m : messages.reversed()) {
            List<Part.ToolResult> results = m.parts(Part.ToolResult.class);
            if (results.isEmpty()) break;
            for (Part.ToolResult r : results.reversed()) out.addFirst(r.text());
        }
        return String.join("\n", out);
    }

    private static int reasoningTokens(LlmRequest req) {
        if (req.reasoningEffort() != null) return MockEngine.reasoningTokens(req.reasoningEffort());
        JsonNode thinking = req.extra().get("thinking");
        if (thinking == null && req.raw() != null && req.format() == WireFormat.ANTHROPIC_MESSAGES) thinking = req.raw().get("thinking");
        boolean adaptive = thinking != null && "adaptive".equals(thinking.path("type").asText());
        return req.thinkingBudget() != null || adaptive ? MockEngine.reasoningTokens(null) : 0;
    }

    /** The number of choices a chat or completion asks for; the other formats have no {@code n}. */
    private static int n(LlmRequest req) {
        if (req.format() != WireFormat.OPENAI_CHAT) return 1;
        JsonNode n = req.extra().get("n");
        if (n == null && req.raw() != null) n = req.raw().get("n");
        return n == null || n.isNull() ? 1 : n.canConvertToInt() ? n.asInt() : Integer.MAX_VALUE;
    }

    private LlmResponse response(List<MockAnswer> answers, String model) {
        var choices = new ArrayList<Choice>();
        long in = 0;
        long out = 0;
        long reasoning = 0;
        int n = answers.getFirst().alternatives().size();
        for (int p = 0; p < answers.size(); p++) {
            MockAnswer a = answers.get(p);
            in += a.inputTokens();
            out += a.outputTokens();
            for (MockAnswer.Alternative alt : a.alternatives()) {
                var parts = new ArrayList<Part>(2);
                if (alt.hasReasoning()) {
                    reasoning += alt.reasoning().size();
                    parts.add(new Part.Reasoning(alt.reasoningText(), signature(model, alt), null, false, null, null, null));
                }
                var call = alt.toolCall();
                if (call == null) parts.add(Part.Text.of(alt.text()));
                else if (call.custom()) parts.add(new Part.CustomToolCall(call.id(), call.name(), call.arguments(), null));
                else parts.add(new Part.ToolCall(call.id(), call.name(), call.arguments(), null));
                choices.add(new Choice(p * n + alt.index(), new Message(Role.ASSISTANT, parts, null, null),
                        finish(alt.finish()), null, null));
            }
        }
        return new LlmResponse(engine.nextId("chatcmpl-"), model, engine.epochSecond(), choices,
                new Usage(in, out, 0, 0, reasoning, false), WireFormat.OPENAI_CHAT, null);
    }

    private String signature(String model, MockAnswer.Alternative alt) {
        return engine.signer().sign(MockSigner.Kind.THINKING, model, alt.reasoningText());
    }

    static FinishReason finish(MockAnswer.Finish f) {
        return switch (f) {
            case STOP -> FinishReason.STOP;
            case LENGTH -> FinishReason.LENGTH;
            case TOOL_CALLS -> FinishReason.TOOL_CALLS;
        };
    }

    private LlmResponse embeddings(LlmRequest req, String model) {
        JsonNode input = req.input();
        if (input == null && req.raw() != null) input = req.raw().get("input");
        int dims = intOption(req, "dimensions", engine.config().embeddingDimensions());
        JsonNode fmt = req.extra().has("encoding_format") ? req.extra().get("encoding_format")
                : req.raw() == null ? null : req.raw().get("encoding_format");
        boolean base64 = fmt != null && "base64".equals(fmt.asText());
        List<MockEngine.Input> inputs = MockEngine.inputs(input);
        dims = Math.clamp(dims, 1, 8192);
        MockLimits.embeddings(inputs.size(), dims);
        var raw = MockOpenAi.embeddings(model, inputs, dims, base64);
        long tokens = raw.path("usage").path("prompt_tokens").asLong();
        return new LlmResponse(null, model, engine.epochSecond(), List.of(), Usage.of(tokens, 0), WireFormat.OPENAI_CHAT, raw);
    }

    private static int intOption(LlmRequest req, String field, int dflt) {
        JsonNode v = req.extra().get(field);
        if (v == null && req.raw() != null) v = req.raw().get(field);
        return v != null && v.canConvertToInt() ? v.asInt() : dflt;
    }

    /** A frame and, for a token frame, the step of the stream it belongs to (-1 for other frames). */
    record Paced(Frame frame, int step) {}

    /**
     * The frames of a streamed answer: Started, tool call starts, token steps (one delta per choice), ends. With
     * reasoning, an alternative's first steps are reasoning deltas, closed by its signature, and its tool call starts
     * just before its first argument fragment.
     */
    static List<Paced> frames(String id, String model, List<MockAnswer> answers, MockSigner signer) {
        var out = new ArrayList<Paced>();
        long inTokens = 0;
        long outTokens = 0;
        long reasoningTokens = 0;
        var alts = new ArrayList<MockAnswer.Alternative>();
        var indexes = new ArrayList<Integer>();
        for (int p = 0; p < answers.size(); p++) {
            MockAnswer a = answers.get(p);
            inTokens += a.inputTokens();
            outTokens += a.outputTokens();
            for (MockAnswer.Alternative alt : a.alternatives()) {
                reasoningTokens += alt.reasoning().size();
                alts.add(alt);
                indexes.add(p * a.alternatives().size() + alt.index());
            }
        }
        out.add(frame(-1, new StreamEvent.Started(id, model, inTokens)));
        int steps = 0;
        for (int k = 0; k < alts.size(); k++) {
            var alt = alts.get(k);
            if (alt.isToolCall() && !alt.hasReasoning()) out.add(frame(-1, started(indexes.get(k), alt.toolCall())));
            steps = Math.max(steps, alt.reasoning().size() + alt.deltas().size());
        }
        for (int s = 0; s < steps; s++) {
            for (int k = 0; k < alts.size(); k++) {
                var alt = alts.get(k);
                int choice = indexes.get(k);
                int r = alt.reasoning().size();
                if (s < r) {
                    out.add(frame(s, new StreamEvent.ReasoningDelta(choice, alt.reasoning().get(s))));
                    if (s == r - 1) {
                        String sig = signer.sign(MockSigner.Kind.THINKING, model, alt.reasoningText());
                        out.add(frame(-1, new StreamEvent.ReasoningSignature(choice, sig)));
                    }
                    continue;
                }
                if (s - r >= alt.deltas().size()) continue;
                if (alt.isToolCall() && r > 0 && s == r) out.add(frame(-1, started(choice, alt.toolCall())));
                String piece = alt.deltas().get(s - r);
                out.add(frame(s, alt.isToolCall() ? new StreamEvent.ToolArgumentsDelta(choice, 0, piece)
                        : new StreamEvent.TextDelta(choice, piece)));
            }
        }
        for (int k = 0; k < alts.size(); k++) {
            out.add(frame(-1, new StreamEvent.Finished(indexes.get(k), finish(alts.get(k).finish()), null)));
        }
        out.add(frame(-1, new StreamEvent.UsageReported(new Usage(inTokens, outTokens, 0, 0, reasoningTokens, false))));
        out.add(frame(-1, new StreamEvent.Completed()));
        return out;
    }

    private static StreamEvent started(int choice, MockAnswer.ToolCall call) {
        return new StreamEvent.ToolCallStarted(choice, 0, call.id(), call.name(), call.custom());
    }

    private static Paced frame(int step, StreamEvent e) {
        return new Paced(Frame.of(WireFormat.OPENAI_CHAT, null, e), step);
    }

    /**
     * Waits {@code nanos} on {@code sleeper}, but never past the deadline: a wait the deadline cuts short throws
     * {@link ArbiterException.DeadlineExceeded}, one {@code cancelled} ends throws a cancellation.
     */
    static void pause(MockEngine.Sleeper sleeper, long nanos, Deadline deadline, BooleanSupplier cancelled, String label) {
        long left = deadline.remaining().toNanos();
        boolean cut = nanos >= left;
        if (nanos > 0 || cut) {
            try {
                if (!sleeper.sleep(Math.max(0, Math.min(nanos, left)), cancelled)) throw cancelled(label);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw cancelled(label);
            }
        }
        if (cut) throw new ArbiterException.DeadlineExceeded("request deadline exceeded waiting for " + label);
    }

    private static ArbiterException.Upstream cancelled(String label) {
        return new ArbiterException.Upstream(0, "call to " + label + " was cancelled", "cancelled", null);
    }

    /**
     * A paced in-process stream. {@code close()} may come from any thread: it sets {@code closed} and unparks the
     * consumer if it is waiting (the sleeper rechecks {@code closed} when woken), so a waiting {@code next()}
     * throws a cancellation at once; afterwards {@code hasNext()} is false.
     */
    private static final class Stream implements FrameStream {
        private final List<Paced> frames;
        private final MockPlan plan;
        private final MockEngine.Sleeper sleeper;
        private final Deadline deadline;
        private final String label;
        private volatile boolean closed;
        private volatile Thread waiter;
        private int pos;
        private int tokens;
        private int lastStep = -1;
        private boolean failed;

        Stream(List<Paced> frames, MockPlan plan, MockEngine.Sleeper sleeper, Deadline deadline, String label) {
            this.frames = frames;
            this.plan = plan;
            this.sleeper = sleeper;
            this.deadline = deadline;
            this.label = label;
        }

        @Override
        public WireFormat format() {
            return WireFormat.OPENAI_CHAT;
        }

        @Override
        public boolean hasNext() {
            return !closed && !failed && pos < frames.size();
        }

        @Override
        public Frame next() {
            if (closed) throw cancelled(label);
            if (!hasNext()) throw new NoSuchElementException();
            Paced p = frames.get(pos);
            long delay = 0;
            if (p.step() >= 0 && p.step() != lastStep) delay = (p.step() == 0 ? plan.ttft() : plan.perToken()).toNanos();
            waiter = Thread.currentThread();
            try {
                pause(sleeper, delay, deadline, () -> closed, label);
            } catch (ArbiterException e) {
                failed = true;
                throw e;
            } finally {
                waiter = null;
            }
            ArbiterException failure = failure(p);
            if (failure != null) {
                failed = true;
                throw failure;
            }
            pos++;
            if (p.step() >= 0) {
                tokens++;
                lastStep = p.step();
            }
            return p.frame();
        }

        private ArbiterException failure(Paced p) {
            return switch (plan.fault()) {
                case MockPlan.Fault.Malformed m when pos > 0 -> malformed(label);
                case MockPlan.Fault.Drop(int after) when p.step() >= 0 && tokens >= after
                        || p.frame().events().getFirst() instanceof StreamEvent.Finished ->
                        new ArbiterException.Upstream(502, "stream from " + label + " ended before its final event",
                                "upstream_stream_truncated", null);
                default -> null;
            };
        }

        @Override
        public void close() {
            closed = true;
            Thread w = waiter;
            if (w != null) LockSupport.unpark(w);
        }
    }
}
