package dev.arbiter.mock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.config.DeploymentConfig;
import dev.arbiter.config.SectionValues;
import dev.arbiter.error.ArbiterException;
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
import dev.arbiter.pipeline.Caller;
import dev.arbiter.pipeline.Deadline;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.pipeline.ServedBy;
import dev.arbiter.provider.Deployment;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

class MockProviderTest {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    /** A sleeper that advances a fake clock instead of waiting, and records each wait. */
    static final class FakeTime implements MockEngine.Sleeper {
        final AtomicLong nanos = new AtomicLong(1_000_000_000L);
        final List<Long> waits = new ArrayList<>();

        @Override
        public synchronized boolean sleep(long n, BooleanSupplier cancelled) {
            if (cancelled.getAsBoolean()) return false;
            waits.add(n);
            nanos.addAndGet(n);
            return true;
        }

        Deadline after(Duration d) {
            return Deadline.after(d, nanos::get);
        }
    }

    private final FakeTime time = new FakeTime();

    private MockProvider provider(MockConfig config) {
        return new MockProvider(config, time, InstantSource.fixed(java.time.Instant.ofEpochSecond(1_700_000_000)));
    }

    private static Deployment deployment(MockConfig config) {
        var dc = new DeploymentConfig("mock-a", "mock", "mock-upstream-model", null, null, 1, null, null,
                Duration.ofSeconds(1), Duration.ofSeconds(30), 0, null, null, SectionValues.of(MockConfig.SECTION, config));
        return new Deployment("fast", dc, null, null, dev.arbiter.llm.WireFormat.OPENAI_CHAT);
    }

    private Exchange exchange(LlmRequest req) {
        return Exchange.of("req-1", Caller.ANONYMOUS, req, time.after(Duration.ofSeconds(10)), Map.of());
    }

    private static LlmRequest.Builder chat(String text) {
        return LlmRequest.builder(Operation.CHAT, WireFormat.OPENAI_CHAT).model("fast")
                .messages(List.of(Message.text(Role.SYSTEM, "Be brief. "), Message.text(Role.USER, text)));
    }

    private static Tool weatherTool() {
        ObjectNode schema = F.objectNode().put("type", "object");
        schema.putObject("properties").putObject("city").put("type", "string");
        schema.putArray("required").add("city");
        return new Tool("function", "get_weather", "Weather", schema, null, null);
    }

    private Reply call(MockConfig config, LlmRequest req) {
        return provider(config).call(exchange(req), deployment(config));
    }

    private static List<StreamEvent> drain(FrameStream s) {
        var events = new ArrayList<StreamEvent>();
        while (s.hasNext()) {
            Frame f = s.next();
            assertThat(f.raw()).isNull();
            assertThat(f.format()).isEqualTo(WireFormat.OPENAI_CHAT);
            events.addAll(f.events());
        }
        return events;
    }

    @Test
    void call_chat_answersTheEngineTextWithUsage() {
        var r = (Reply.Complete) call(MockConfig.DEFAULT, chat("Hello").build());
        LlmResponse res = r.response();
        assertThat(r.servedBy()).isEqualTo(new ServedBy("fast", "mock-a", "mock"));
        assertThat(res.raw()).isNull();
        assertThat(res.format()).isEqualTo(WireFormat.OPENAI_CHAT);
        assertThat(res.model()).isEqualTo("mock-upstream-model");
        assertThat(res.created()).isEqualTo(1_700_000_000L);
        assertThat(res.choices()).hasSize(1);
        String expected = new MockEngine(MockConfig.DEFAULT).answer(MockEngine.Prompt.text("Be brief. Hello"))
                .alternatives().getFirst().text();
        assertThat(res.firstMessage().text()).isEqualTo(expected).startsWith("Mock answer:");
        assertThat(res.firstMessage().role()).isEqualTo(Role.ASSISTANT);
        assertThat(res.choices().getFirst().finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(res.usage()).isEqualTo(Usage.of(4, 16));
    }

    @Test
    void call_chatWithNAndMaxTokens_givesNChoicesCutAtTheLimit() {
        ObjectNode extra = F.objectNode().put("n", 3);
        var res = ((Reply.Complete) call(MockConfig.DEFAULT, chat("Hi").maxTokens(5).extra(extra).build())).response();
        assertThat(res.choices()).extracting(c -> c.index()).containsExactly(0, 1, 2);
        assertThat(res.choices()).allSatisfy(c -> {
            assertThat(c.finishReason()).isEqualTo(FinishReason.LENGTH);
            assertThat(c.message().text().split(" ")).hasSize(5);
        });
        assertThat(res.usage().outputTokens()).isEqualTo(15);
    }

    @Test
    void call_chatWithTools_callsTheTool() {
        var req = chat("Weather in Paris?").tools(List.of(weatherTool())).build();
        var res = ((Reply.Complete) call(MockConfig.DEFAULT, req)).response();
        Part.ToolCall call = res.firstMessage().parts(Part.ToolCall.class).getFirst();
        assertThat(call.name()).isEqualTo("get_weather");
        assertThat(call.arguments()).isEqualTo("{\"city\":\"mock\"}");
        assertThat(call.id()).startsWith("call_");
        assertThat(res.choices().getFirst().finishReason()).isEqualTo(FinishReason.TOOL_CALLS);

        var none = chat("Weather?").tools(List.of(weatherTool())).toolChoice(new ToolChoice.None()).build();
        assertThat(((Reply.Complete) call(MockConfig.DEFAULT, none)).response().firstMessage().parts(Part.ToolCall.class)).isEmpty();

        var after = chat("Weather?").tools(List.of(weatherTool())).messages(List.of(Message.text(Role.USER, "Weather?"),
                new Message(Role.TOOL, List.of(new Part.ToolResult(call.id(), List.of(Part.Text.of("sunny")), false, false, null)),
                        null, null))).build();
        var answered = ((Reply.Complete) call(MockConfig.DEFAULT, after)).response();
        assertThat(answered.firstMessage().text()).startsWith("Mock answer:");
    }

    @Test
    void call_directives_callTheNamedToolWithItsArgumentsThenQuoteTheResult() {
        String user = "[[mock-tool get_weather {\"city\":\"Oslo\"}]]";
        var req = chat(user).tools(List.of(weatherTool())).build();
        Part.ToolCall call = ((Reply.Complete) call(MockConfig.DEFAULT, req)).response().firstMessage()
                .parts(Part.ToolCall.class).getFirst();
        assertThat(call.name()).isEqualTo("get_weather");
        assertThat(call.arguments()).isEqualTo("{\"city\":\"Oslo\"}");

        var after = chat(user).tools(List.of(weatherTool())).messages(List.of(Message.text(Role.USER, user),
                new Message(Role.ASSISTANT, List.of(call), null, null),
                new Message(Role.TOOL, List.of(new Part.ToolResult(call.id(), List.of(Part.Text.of("Oslo: rain")), false, false,
                        null)), null, null))).build();
        assertThat(((Reply.Complete) call(MockConfig.DEFAULT, after)).response().firstMessage().text())
                .isEqualTo("Mock answer: the tool said: Oslo: rain");

        var say = chat("[[mock-say ARBITER-OK]]").tools(List.of(weatherTool())).build();
        assertThat(((Reply.Complete) call(MockConfig.DEFAULT, say)).response().firstMessage().text()).isEqualTo("ARBITER-OK");
    }

    @Test
    void call_completionWithTwoPrompts_answersEach() {
        var req = LlmRequest.builder(Operation.COMPLETION, WireFormat.OPENAI_CHAT).model("fast")
                .input(F.arrayNode().add("one").add("two")).build();
        var res = ((Reply.Complete) call(MockConfig.DEFAULT, req)).response();
        assertThat(res.choices()).hasSize(2);
        assertThat(res.choices().get(0).message().text()).isNotEqualTo(res.choices().get(1).message().text());
        assertThat(res.usage()).isEqualTo(Usage.of(2, 32));
    }

    @Test
    void call_stream_sendsStartedTokensFinishedUsageCompletedAtThePlannedPace() {
        var config = new MockConfig(new MockConfig.Latency("fixed", Duration.ofMillis(30), Duration.ZERO),
                Duration.ofMillis(200), 10, 4, 8, null, 1);
        var reply = (Reply.Streaming) call(config, chat("Hello").stream(true).build());
        assertThat(time.waits).containsExactly(30_000_000L);
        List<StreamEvent> events = drain(reply.stream());
        assertThat(events.getFirst()).isInstanceOf(StreamEvent.Started.class);
        var started = (StreamEvent.Started) events.getFirst();
        assertThat(started.model()).isEqualTo("mock-upstream-model");
        assertThat(started.inputTokens()).isEqualTo(4);
        var text = new StringBuilder();
        for (StreamEvent e : events) if (e instanceof StreamEvent.TextDelta(int c, String t)) text.append(t);
        assertThat(events.subList(1, 5)).allMatch(e -> e instanceof StreamEvent.TextDelta);
        assertThat(text.toString()).startsWith("Mock answer:").hasToString(
                new MockEngine(config).answer(MockEngine.Prompt.text("Be brief. Hello")).alternatives().getFirst().text());
        assertThat(events.subList(5, events.size())).containsExactly(new StreamEvent.Finished(0, FinishReason.STOP, null),
                new StreamEvent.UsageReported(Usage.of(4, 4)), new StreamEvent.Completed());
        assertThat(time.waits).containsExactly(30_000_000L, 200_000_000L, 100_000_000L, 100_000_000L, 100_000_000L);
    }

    @Test
    void call_streamWithTools_sendsToolCallStartedAndArgumentFragments() {
        var req = chat("Weather?").tools(List.of(weatherTool())).stream(true).build();
        List<StreamEvent> events = drain(((Reply.Streaming) call(MockConfig.DEFAULT, req)).stream());
        assertThat(events.get(1)).isInstanceOfSatisfying(StreamEvent.ToolCallStarted.class, s -> {
            assertThat(s.name()).isEqualTo("get_weather");
            assertThat(s.id()).startsWith("call_");
        });
        var args = new StringBuilder();
        int fragments = 0;
        for (StreamEvent e : events) {
            if (e instanceof StreamEvent.ToolArgumentsDelta d) {
                args.append(d.fragment());
                fragments++;
            }
        }
        assertThat(fragments).isEqualTo(3);
        assertThat(args.toString()).isEqualTo("{\"city\":\"mock\"}");
        assertThat(events).contains(new StreamEvent.Finished(0, FinishReason.TOOL_CALLS, null));
        assertThat(events.getLast()).isEqualTo(new StreamEvent.Completed());
    }

    @Test
    void call_reasoning_opensTheAnswerWithSignedReasoning() {
        var req = chat("Weather?").reasoningEffort("low").build();
        LlmResponse res = ((Reply.Complete) call(MockConfig.DEFAULT, req)).response();
        List<Part> parts = res.firstMessage().parts();
        assertThat(parts.get(0)).isInstanceOfSatisfying(Part.Reasoning.class, r -> {
            assertThat(r.text()).startsWith("Mock reasoning:");
            assertThat(new MockSigner(MockConfig.DEFAULT.seed()).verify(MockSigner.Kind.THINKING, "mock-upstream-model",
                    r.text(), r.signature())).isTrue();
        });
        assertThat(parts.get(1)).isInstanceOf(Part.Text.class);
        assertThat(res.usage()).isEqualTo(new Usage(5, 16 + 6, 0, 0, 6, false));

        var thinking = chat("Weather?").thinkingBudget(2048).build();
        var budget = ((Reply.Complete) call(MockConfig.DEFAULT, thinking)).response();
        assertThat(budget.firstMessage().parts(Part.Reasoning.class)).hasSize(1);
        assertThat(budget.usage().reasoningTokens()).isEqualTo(8);
        var plain = ((Reply.Complete) call(MockConfig.DEFAULT, chat("Weather?").build())).response();
        assertThat(plain.firstMessage().parts(Part.Reasoning.class)).isEmpty();
    }

    @Test
    void call_streamReasoning_sendsReasoningDeltasAndSignatureBeforeTheToolCall() {
        var req = chat("Weather?").reasoningEffort("minimal").tools(List.of(weatherTool())).stream(true).build();
        List<StreamEvent> events = drain(((Reply.Streaming) call(MockConfig.DEFAULT, req)).stream());
        assertThat(events.subList(1, 5)).allMatch(e -> e instanceof StreamEvent.ReasoningDelta);
        var text = new StringBuilder();
        for (StreamEvent e : events.subList(1, 5)) text.append(((StreamEvent.ReasoningDelta) e).text());
        assertThat(events.get(5)).isInstanceOfSatisfying(StreamEvent.ReasoningSignature.class, s -> assertThat(
                new MockSigner(MockConfig.DEFAULT.seed()).verify(MockSigner.Kind.THINKING, "mock-upstream-model",
                        text.toString(), s.signature())).isTrue());
        assertThat(events.get(6)).isInstanceOf(StreamEvent.ToolCallStarted.class);
        assertThat(events.get(7)).isInstanceOf(StreamEvent.ToolArgumentsDelta.class);
        assertThat(events).contains(new StreamEvent.UsageReported(new Usage(5, 4 + MockEngine.countTokens("get_weather{\"city\":\"mock\"}"),
                0, 0, 4, false)));
    }

    @Test
    void call_customTool_answersACustomToolCall() {
        var patch = new Tool("custom", "apply_patch", "Edit files", null, null, null);
        var req = chat("Add a file").tools(List.of(patch)).build();
        var res = ((Reply.Complete) call(MockConfig.DEFAULT, req)).response();
        Part.CustomToolCall call = res.firstMessage().parts(Part.CustomToolCall.class).getFirst();
        assertThat(call.name()).isEqualTo("apply_patch");
        assertThat(call.input()).isEqualTo(MockEngine.CUSTOM_INPUT);
        assertThat(res.choices().getFirst().finishReason()).isEqualTo(FinishReason.TOOL_CALLS);

        List<StreamEvent> events = drain(((Reply.Streaming) call(MockConfig.DEFAULT, chat("Add a file").tools(List.of(patch))
                .stream(true).build())).stream());
        assertThat(events.get(1)).isInstanceOfSatisfying(StreamEvent.ToolCallStarted.class, s -> assertThat(s.custom()).isTrue());
        var input = new StringBuilder();
        for (StreamEvent e : events) if (e instanceof StreamEvent.ToolArgumentsDelta d) input.append(d.fragment());
        assertThat(input.toString()).isEqualTo(MockEngine.CUSTOM_INPUT);
    }

    @Test
    void call_embedding_answersOpenAiEmbeddingsJson() {
        var req = LlmRequest.builder(Operation.EMBEDDING, WireFormat.OPENAI_CHAT).model("emb")
                .input(F.arrayNode().add("a cat").add("a dog")).build();
        var res = ((Reply.Complete) call(MockConfig.DEFAULT, req)).response();
        JsonNode raw = res.raw();
        assertThat(raw.path("object").asText()).isEqualTo("list");
        assertThat(raw.path("model").asText()).isEqualTo("mock-upstream-model");
        assertThat(raw.path("data")).hasSize(2);
        JsonNode first = raw.path("data").get(0);
        assertThat(first.path("object").asText()).isEqualTo("embedding");
        assertThat(first.path("index").asInt()).isZero();
        assertThat(first.path("embedding")).hasSize(64);
        double norm = 0;
        for (JsonNode x : first.path("embedding")) norm += x.asDouble() * x.asDouble();
        assertThat(norm).isCloseTo(1.0, within(1e-4));
        assertThat(first.path("embedding").get(0).floatValue()).isEqualTo(MockEngine.embed("a cat", 64)[0]);
        assertThat(raw.path("usage").path("prompt_tokens").asInt()).isEqualTo(4);
        assertThat(raw.path("usage").path("total_tokens").asInt()).isEqualTo(4);
        assertThat(res.usage()).isEqualTo(Usage.of(4, 0));
        assertThat(res.format()).isEqualTo(WireFormat.OPENAI_CHAT);
    }

    @Test
    void call_embeddingOfTokenIdsInBase64WithDimensions_honoursThem() {
        ObjectNode extra = F.objectNode().put("dimensions", 8).put("encoding_format", "base64");
        var req = LlmRequest.builder(Operation.EMBEDDING, WireFormat.OPENAI_CHAT).model("emb")
                .input(F.arrayNode().add(F.arrayNode().add(1).add(2)).add(F.arrayNode().add(3))).extra(extra).build();
        JsonNode raw = ((Reply.Complete) call(MockConfig.DEFAULT, req)).response().raw();
        assertThat(raw.path("data")).hasSize(2);
        assertThat(Base64.getDecoder().decode(raw.path("data").get(1).path("embedding").asText())).hasSize(32);
        assertThat(raw.path("usage").path("prompt_tokens").asInt()).isEqualTo(3);
    }

    private static MockConfig faults(MockConfig.Faults f) {
        return MockConfig.DEFAULT.withFaults(f);
    }

    @Test
    void call_errorFault_throwsUpstreamWithThatStatus() {
        var config = faults(new MockConfig.Faults(1, List.of(503), 0, null, 0, 0, 0, 0, 0));
        assertThatThrownBy(() -> call(config, chat("x").build()))
                .isInstanceOfSatisfying(ArbiterException.Upstream.class, e -> {
                    assertThat(e.status()).isEqualTo(503);
                    assertThat(e.code()).isEqualTo("upstream_http_503");
                    assertThat(e.getMessage()).isEqualTo("mock upstream injected HTTP 503");
                    assertThat(e.retryAfter()).isNull();
                });
    }

    @Test
    void call_rateLimitFault_throws429WithRetryAfter() {
        var config = faults(new MockConfig.Faults(0, null, 1, Duration.ofSeconds(2), 0, 0, 0, 0, 0));
        assertThatThrownBy(() -> call(config, chat("x").stream(true).build()))
                .isInstanceOfSatisfying(ArbiterException.Upstream.class, e -> {
                    assertThat(e.status()).isEqualTo(429);
                    assertThat(e.code()).isEqualTo("upstream_http_429");
                    assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(2));
                });
    }

    @Test
    void call_resetFault_throwsConnectionError() {
        var config = faults(new MockConfig.Faults(0, null, 0, null, 0, 1, 0, 0, 0));
        assertThatThrownBy(() -> call(config, chat("x").build()))
                .isInstanceOfSatisfying(ArbiterException.Upstream.class, e -> {
                    assertThat(e.status()).isZero();
                    assertThat(e.code()).isEqualTo("upstream_connection_error");
                });
    }

    @Test
    void call_malformedFault_throwsBadResponse() {
        var config = faults(new MockConfig.Faults(0, null, 0, null, 0, 0, 1, 0, 0));
        assertThatThrownBy(() -> call(config, chat("x").build()))
                .isInstanceOfSatisfying(ArbiterException.Upstream.class, e -> {
                    assertThat(e.status()).isEqualTo(502);
                    assertThat(e.code()).isEqualTo("upstream_bad_response");
                });
        FrameStream s = ((Reply.Streaming) call(config, chat("x").stream(true).build())).stream();
        assertThat(s.next().events().getFirst()).isInstanceOf(StreamEvent.Started.class);
        assertThat(s.hasNext()).isTrue();
        assertThatThrownBy(s::next).isInstanceOfSatisfying(ArbiterException.Upstream.class,
                e -> assertThat(e.code()).isEqualTo("upstream_bad_response"));
        assertThat(s.hasNext()).isFalse();
    }

    @Test
    void call_hangFault_waitsForTheDeadline() {
        var config = faults(new MockConfig.Faults(0, null, 0, null, 1, 0, 0, 0, 0));
        long before = time.nanos.get();
        assertThatThrownBy(() -> call(config, chat("x").build())).isInstanceOf(ArbiterException.DeadlineExceeded.class);
        assertThat(time.nanos.get() - before).isEqualTo(Duration.ofSeconds(10).toNanos());
    }

    @Test
    void call_latencyPastTheDeadline_throwsDeadlineExceeded() {
        var config = new MockConfig(new MockConfig.Latency("fixed", Duration.ofSeconds(60), Duration.ZERO),
                Duration.ZERO, 0, 16, 8, null, 1);
        assertThatThrownBy(() -> call(config, chat("x").build())).isInstanceOf(ArbiterException.DeadlineExceeded.class);
    }

    @Test
    void stream_dropFault_failsAfterNTokens() {
        var config = faults(new MockConfig.Faults(0, null, 0, null, 0, 0, 0, 1, 3));
        FrameStream s = ((Reply.Streaming) call(config, chat("x").stream(true).build())).stream();
        var events = new ArrayList<StreamEvent>();
        assertThatThrownBy(() -> {
            while (s.hasNext()) events.addAll(s.next().events());
        }).isInstanceOfSatisfying(ArbiterException.Upstream.class, e -> {
            assertThat(e.status()).isEqualTo(502);
            assertThat(e.code()).isEqualTo("upstream_stream_truncated");
            assertThat(e.getMessage()).contains("ended before its final event");
        });
        assertThat(events).hasSize(4);
        assertThat(events.subList(1, 4)).allMatch(e -> e instanceof StreamEvent.TextDelta);
    }

    @Test
    void stream_dropAfterMoreTokensThanTheAnswerHas_failsBeforeFinished() {
        var config = faults(new MockConfig.Faults(0, null, 0, null, 0, 0, 0, 1, 100));
        FrameStream s = ((Reply.Streaming) call(config, chat("x").stream(true).build())).stream();
        int deltas = 0;
        try {
            while (s.hasNext()) {
                for (StreamEvent e : s.next().events()) {
                    assertThat(e).isNotInstanceOf(StreamEvent.Finished.class);
                    if (e instanceof StreamEvent.TextDelta) deltas++;
                }
            }
        } catch (ArbiterException.Upstream e) {
            assertThat(e.code()).isEqualTo("upstream_stream_truncated");
        }
        assertThat(deltas).isEqualTo(16);
    }

    @Test
    void stream_deadlinePassesMidStream_throwsDeadlineExceeded() {
        var config = new MockConfig(null, Duration.ZERO, 1, 100, 8, null, 1);
        FrameStream s = ((Reply.Streaming) call(config, chat("x").stream(true).build())).stream();
        assertThatThrownBy(() -> {
            while (s.hasNext()) s.next();
        }).isInstanceOf(ArbiterException.DeadlineExceeded.class);
    }

    @Test
    void stream_closedWhileWaiting_endsTheWaitAtOnce() throws Exception {
        var config = new MockConfig(null, Duration.ofMinutes(1), 1, 16, 8, null, 1);
        var real = new MockProvider(config);
        var exchange = Exchange.of("r", Caller.ANONYMOUS, chat("x").stream(true).build(),
                Deadline.after(Duration.ofMinutes(5), System::nanoTime), Map.of());
        FrameStream s = ((Reply.Streaming) real.call(exchange, deployment(config))).stream();
        assertThat(s.next().events().getFirst()).isInstanceOf(StreamEvent.Started.class);
        var thrown = new AtomicReference<Throwable>();
        Thread consumer = Thread.ofVirtual().start(() -> {
            try {
                s.next();
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        Thread.sleep(50);
        s.close();
        assertThat(consumer.join(Duration.ofSeconds(5))).isTrue();
        assertThat(thrown.get()).isInstanceOfSatisfying(ArbiterException.Upstream.class,
                e -> assertThat(e.code()).isEqualTo("cancelled"));
        assertThat(s.hasNext()).isFalse();
        s.close();
    }
}
