package dev.arbiter.mock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arbiter.config.ConfigException;
import dev.arbiter.mock.MockEngine.Prompt;
import dev.arbiter.mock.MockEngine.ToolSpec;
import dev.arbiter.mock.MockPlan.Fault;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MockEngineTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNode WEATHER = json("""
            {"type":"object","properties":{
              "city":{"type":"string"},"days":{"type":"integer"},"celsius":{"type":"boolean"},
              "hours":{"type":"array","items":{"type":"number"}},"where":{"type":"object","properties":{}},
              "ratio":{"type":"number"},"unit":{"type":"string","enum":["c","f"]},"note":{"type":"string"},
              "nested":{"type":"object","properties":{"x":{"type":["null","string"]}},"required":["x"]}},
             "required":["city","days","celsius","hours","where","ratio","unit","nested"]}""");

    private final MockEngine engine = new MockEngine(MockConfig.DEFAULT);

    static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Prompt tools(List<ToolSpec> tools, boolean allowed, String named, boolean afterTool) {
        return new Prompt("What is the weather?", tools, allowed, named, afterTool, Integer.MAX_VALUE, 1);
    }

    @Test
    void answer_samePrompt_sameTextInAnyEngine() {
        var other = new MockEngine(MockConfig.DEFAULT.withFaults(MockConfig.Faults.NONE));
        MockAnswer a = engine.answer(Prompt.text("hello there"));
        MockAnswer b = other.answer(Prompt.text("hello there"));
        assertThat(a).isEqualTo(b);
        assertThat(engine.answer(Prompt.text("hello there!")).alternatives().getFirst().text())
                .isNotEqualTo(a.alternatives().getFirst().text());
    }

    @Test
    void answer_text_startsWithMockAnswerAndHasOutputTokensWords() {
        MockAnswer.Alternative alt = engine.answer(Prompt.text("hi")).alternatives().getFirst();
        assertThat(alt.text()).startsWith("Mock answer: ");
        assertThat(alt.tokens()).hasSize(16);
        assertThat(alt.text().split(" ")).hasSize(16);
        assertThat(alt.finish()).isEqualTo(MockAnswer.Finish.STOP);
        assertThat(alt.outputTokens()).isEqualTo(16);
        assertThat(alt.isToolCall()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 5, 16, 17, 1000})
    void answer_maxTokens_capsTokensAndSaysLength(int max) {
        MockAnswer a = engine.answer(new Prompt("hi", List.of(), true, null, false, max, 1));
        MockAnswer.Alternative alt = a.alternatives().getFirst();
        assertThat(alt.tokens()).hasSize(Math.min(16, max));
        assertThat(a.outputTokens()).isEqualTo(Math.min(16, max));
        assertThat(alt.finish()).isEqualTo(max < 16 ? MockAnswer.Finish.LENGTH : MockAnswer.Finish.STOP);
        assertThat(alt.text()).startsWith("Mock");
    }

    @Test
    void answer_n_givesAlternativesWhoseFirstDoesNotDependOnN() {
        MockAnswer one = engine.answer(Prompt.text("pick"));
        MockAnswer three = engine.answer(new Prompt("pick", List.of(), true, null, false, Integer.MAX_VALUE, 3));
        assertThat(three.alternatives()).extracting(MockAnswer.Alternative::index).containsExactly(0, 1, 2);
        assertThat(three.alternatives().getFirst()).isEqualTo(one.alternatives().getFirst());
        assertThat(three.alternatives().get(1).text()).isNotEqualTo(three.alternatives().get(2).text());
        assertThat(three.outputTokens()).isEqualTo(48);
        assertThat(three.inputTokens()).isEqualTo(one.inputTokens()).isEqualTo(1);
    }

    @Test
    void countTokens_isQuarterOfCharsRoundedUpAtLeastOne() {
        assertThat(MockEngine.countTokens("")).isEqualTo(1);
        assertThat(MockEngine.countTokens("abcd")).isEqualTo(1);
        assertThat(MockEngine.countTokens("abcde")).isEqualTo(2);
        assertThat(MockEngine.countTokens("x".repeat(400))).isEqualTo(100);
    }

    @Test
    void answer_toolsOffered_callsFirstToolWithArgumentsFromRequiredProperties() throws Exception {
        var tools = List.of(new ToolSpec("get_weather", WEATHER), new ToolSpec("other", null));
        MockAnswer a = engine.answer(tools(tools, true, null, false));
        MockAnswer.Alternative alt = a.alternatives().getFirst();
        assertThat(alt.isToolCall()).isTrue();
        assertThat(alt.tokens()).isEmpty();
        assertThat(alt.finish()).isEqualTo(MockAnswer.Finish.TOOL_CALLS);
        assertThat(alt.toolCall().name()).isEqualTo("get_weather");
        assertThat(alt.toolCall().id()).matches("call_[0-9a-f]{24}");
        assertThat(JSON.readTree(alt.toolCall().arguments())).isEqualTo(json("""
                {"city":"mock","days":1,"celsius":true,"hours":[],"where":{},"ratio":1,"unit":"c","nested":{"x":"mock"}}"""));
        assertThat(alt.outputTokens()).isEqualTo(MockEngine.countTokens("get_weather" + alt.toolCall().arguments()));
        assertThat(engine.answer(tools(tools, true, null, false))).isEqualTo(a);
    }

    @Test
    void answer_namedTool_callsThatTool() {
        var tools = List.of(new ToolSpec("get_weather", WEATHER), new ToolSpec("other", null));
        MockAnswer.Alternative alt = engine.answer(tools(tools, true, "other", false)).alternatives().getFirst();
        assertThat(alt.toolCall().name()).isEqualTo("other");
        assertThat(alt.toolCall().arguments()).isEqualTo("{}");
    }

    @Test
    void answer_toolChoiceNoneOrAfterToolResult_answersText() {
        var tools = List.of(new ToolSpec("get_weather", WEATHER));
        assertThat(engine.answer(tools(tools, false, null, false)).alternatives().getFirst().isToolCall()).isFalse();
        assertThat(engine.answer(tools(tools, true, null, true)).alternatives().getFirst().isToolCall()).isFalse();
    }

    private static Prompt directed(String userText, List<ToolSpec> tools, boolean allowed, String named,
                                   boolean afterTool, String toolResult) {
        return new Prompt("system text " + userText + toolResult, tools, allowed, named, afterTool, Integer.MAX_VALUE, 1, 0,
                userText, toolResult);
    }

    @Test
    void answer_sayDirective_answersExactlyItsTextEvenWithToolsOffered() {
        var tools = List.of(new ToolSpec("get_weather", WEATHER));
        MockAnswer a = engine.answer(directed("<reminder>x</reminder>\nplease [[mock-say  Hello,  there\nworld ]] thanks",
                tools, true, null, false, ""));
        MockAnswer.Alternative alt = a.alternatives().getFirst();
        assertThat(alt.isToolCall()).isFalse();
        assertThat(alt.text()).isEqualTo("Hello,  there\nworld");
        assertThat(alt.tokens()).containsExactly("Hello,", "  there", "\nworld");
        assertThat(alt.finish()).isEqualTo(MockAnswer.Finish.STOP);
        assertThat(alt.outputTokens()).isEqualTo(MockEngine.countTokens("Hello,  there\nworld"));

        var cut = new Prompt("x", List.of(), true, null, false, 2, 1, 0, "[[mock-say one two three]]", "");
        assertThat(engine.answer(cut).alternatives().getFirst().text()).isEqualTo("one two");
        assertThat(engine.answer(cut).alternatives().getFirst().finish()).isEqualTo(MockAnswer.Finish.LENGTH);
    }

    @Test
    void answer_toolDirective_callsThatToolWithExactlyItsArgumentsThenQuotesTheResult() {
        var tools = List.of(new ToolSpec("get_weather", WEATHER), new ToolSpec("Read", null));
        String user = "Read it: [[mock-tool Read {\"file_path\": \"/tmp/a]]b.txt\", \"n\": [[1]]}]] now";
        MockAnswer.Alternative call = engine.answer(directed(user, tools, true, null, false, "")).alternatives().getFirst();
        assertThat(call.isToolCall()).isTrue();
        assertThat(call.toolCall().name()).isEqualTo("Read");
        assertThat(call.toolCall().arguments()).isEqualTo("{\"file_path\": \"/tmp/a]]b.txt\", \"n\": [[1]]}");
        assertThat(call.toolCall().custom()).isFalse();
        assertThat(call.finish()).isEqualTo(MockAnswer.Finish.TOOL_CALLS);

        MockAnswer.Alternative after = engine.answer(directed(user, tools, true, null, true, "1\tKOALA is here\n"))
                .alternatives().getFirst();
        assertThat(after.isToolCall()).isFalse();
        assertThat(after.text()).isEqualTo("Mock answer: the tool said: 1\tKOALA is here\n");
        assertThat(after.finish()).isEqualTo(MockAnswer.Finish.STOP);

        String longResult = "y".repeat(MockDirective.QUOTED) + "TAIL";
        assertThat(engine.answer(directed(user, tools, true, null, true, longResult)).alternatives().getFirst().text())
                .isEqualTo("Mock answer: the tool said: " + "y".repeat(MockDirective.QUOTED));
    }

    @Test
    void answer_toolDirectiveForACustomTool_passesTheRawTextUpToTheClosingBrackets() {
        var tools = List.of(new ToolSpec("get_weather", WEATHER), new ToolSpec("apply_patch", null, true));
        String patch = "*** Begin Patch\n*** Add File: a.txt\n+{\"not\": json}\n*** End Patch\n";
        MockAnswer.Alternative alt = engine.answer(directed("[[mock-tool apply_patch " + patch + "]]", tools, true, null,
                false, "")).alternatives().getFirst();
        assertThat(alt.toolCall().name()).isEqualTo("apply_patch");
        assertThat(alt.toolCall().custom()).isTrue();
        assertThat(alt.toolCall().arguments()).isEqualTo(patch);
    }

    @Test
    void answer_directiveThatDoesNotApply_answersAsWithoutIt() {
        var tools = List.of(new ToolSpec("get_weather", WEATHER), new ToolSpec("Read", null));
        for (var p : List.of(
                directed("[[mock-tool Nope {\"a\":1}]]", tools, true, null, false, ""),
                directed("[[mock-tool Read not json]]", tools, true, null, false, ""),
                directed("[[mock-tool Read [1]]]", tools, true, null, false, ""),
                directed("[[mock-tool Read {\"a\":1} trailing]]", tools, true, null, false, ""),
                directed("[[mock-tool Read {\"a\":1}]]", tools, false, null, false, ""),
                directed("[[mock-tool Read {\"a\":1}]]", tools, true, "get_weather", false, ""),
                directed("[[mock-say ]]", tools, true, null, false, ""),
                directed("[[mock-say never closed", tools, true, null, false, ""))) {
            var plain = new Prompt(p.text(), p.tools(), p.toolsAllowed(), p.namedTool(), p.afterToolResult(), p.maxTokens(),
                    p.n(), p.reasoningTokens());
            assertThat(engine.answer(p)).as(p.userText()).isEqualTo(engine.answer(plain));
        }
        assertThat(engine.answer(directed("[[mock-tool Nope {}]] then [[mock-say second]]", tools, true, null, false, ""))
                .alternatives().getFirst().text()).isEqualTo("second");
    }

    @Test
    void answer_nToolCalls_haveDistinctIds() {
        var tools = List.of(new ToolSpec("f", null));
        MockAnswer a = engine.answer(new Prompt("p", tools, true, null, false, 100, 2));
        assertThat(a.alternatives().get(0).toolCall().id()).isNotEqualTo(a.alternatives().get(1).toolCall().id());
    }

    @Test
    void argumentsFor_oddSchemas_givesAnObject() {
        assertThat(MockEngine.argumentsFor(null)).isEqualTo("{}");
        assertThat(MockEngine.argumentsFor(json("{\"type\":\"object\"}"))).isEqualTo("{}");
        assertThat(MockEngine.argumentsFor(json("{\"required\":[\"a\"],\"properties\":{\"a\":{\"anyOf\":[{\"type\":\"integer\"}]}}}")))
                .isEqualTo("{\"a\":1}");
        assertThat(MockEngine.argumentsFor(json("{\"required\":[\"a\"],\"properties\":{\"a\":{\"const\":\"k\"}}}")))
                .isEqualTo("{\"a\":\"k\"}");
        assertThat(MockEngine.argumentsFor(json("{\"required\":[\"missing\"]}"))).isEqualTo("{\"missing\":{}}");
    }

    @Test
    void fragments_splitArgumentsInTwoOrThreePieces() {
        assertThat(new MockAnswer.ToolCall("c", "f", "{}").fragments()).containsExactly("{", "}");
        var call = new MockAnswer.ToolCall("c", "f", "{\"city\":\"mock\"}");
        assertThat(call.fragments()).hasSize(3);
        assertThat(String.join("", call.fragments())).isEqualTo(call.arguments());
    }

    @Test
    void inputs_acceptsEveryOpenAiShape() {
        assertThat(MockEngine.inputs(json("\"abcdefgh\""))).containsExactly(new MockEngine.Input("abcdefgh", 2));
        assertThat(MockEngine.inputs(json("[\"a\",\"b\"]"))).extracting(MockEngine.Input::text).containsExactly("a", "b");
        assertThat(MockEngine.inputs(json("[1,2,3]"))).containsExactly(new MockEngine.Input("1 2 3", 3));
        assertThat(MockEngine.inputs(json("[[1,2],[3]]")))
                .containsExactly(new MockEngine.Input("1 2", 2), new MockEngine.Input("3", 1));
        assertThat(MockEngine.inputs(null)).containsExactly(new MockEngine.Input("", 1));
        assertThat(MockEngine.inputs(json("[]"))).isEmpty();
    }

    @Test
    void embed_isUnitLengthAndAFunctionOfTheText() {
        float[] a = MockEngine.embed("the cat", 64);
        float[] b = MockEngine.embed("the cat", 64);
        float[] c = MockEngine.embed("the dog", 64);
        assertThat(a).hasSize(64).isEqualTo(b);
        assertThat(Arrays.equals(a, c)).isFalse();
        double norm = 0;
        for (float x : a) norm += x * x;
        assertThat(Math.sqrt(norm)).isCloseTo(1.0, within(1e-5));
        assertThat(MockEngine.embed("x", 3)).hasSize(3);
    }

    @Test
    void plan_noFaultsFixedLatency_isOnePrecomputedPlan() {
        var config = new MockConfig(new MockConfig.Latency("fixed", Duration.ofMillis(5), Duration.ZERO),
                Duration.ofMillis(7), 50, 16, 8, null, 1);
        var e = new MockEngine(config);
        MockPlan p = e.plan(true);
        assertThat(p).isSameAs(e.plan(false));
        assertThat(p).isEqualTo(new MockPlan(Duration.ofMillis(5), Duration.ofMillis(7), Duration.ofMillis(20), Fault.NONE));
    }

    private static MockConfig faulty(long seed) {
        var faults = new MockConfig.Faults(0.1, List.of(500, 503), 0.1, Duration.ofSeconds(3), 0.1, 0.1, 0.1, 0.1, 4);
        return new MockConfig(new MockConfig.Latency("uniform", Duration.ofMillis(100), Duration.ofMillis(50)),
                Duration.ZERO, 0, 16, 8, faults, seed);
    }

    @Test
    void plan_sameSeed_sameSequence() {
        var a = new MockEngine(faulty(7));
        var b = new MockEngine(faulty(7));
        var c = new MockEngine(faulty(8));
        var sa = new ArrayList<MockPlan>();
        var sb = new ArrayList<MockPlan>();
        var sc = new ArrayList<MockPlan>();
        for (int i = 0; i < 200; i++) {
            sa.add(a.plan(true));
            sb.add(b.plan(true));
            sc.add(c.plan(true));
        }
        assertThat(sa).isEqualTo(sb).isNotEqualTo(sc);
    }

    @ParameterizedTest
    @ValueSource(longs = {3, -1})
    void plan_faultRates_matchTheConfig(long seed) {
        var e = new MockEngine(faulty(seed));
        Map<String, Integer> counts = new HashMap<>();
        var statuses = new HashMap<Integer, Integer>();
        int draws = 20_000;
        for (int i = 0; i < draws; i++) {
            Fault f = e.plan(true).fault();
            counts.merge(f.kind(), 1, Integer::sum);
            if (f instanceof Fault.Error(int s)) statuses.merge(s, 1, Integer::sum);
            if (f instanceof Fault.RateLimited(Duration r)) assertThat(r).isEqualTo(Duration.ofSeconds(3));
            if (f instanceof Fault.Drop(int n)) assertThat(n).isEqualTo(4);
        }
        for (String kind : List.of("error", "rate_limited", "hang", "reset", "malformed", "drop")) {
            assertThat(counts.get(kind) / (double) draws).as(kind).isCloseTo(0.1, within(0.015));
        }
        assertThat(counts.get("none") / (double) draws).isCloseTo(0.4, within(0.02));
        assertThat(statuses.keySet()).containsExactlyInAnyOrder(500, 503);
    }

    @Test
    void plan_notStreamed_neverDrops() {
        var faults = new MockConfig.Faults(0, null, 0, null, 0, 0, 0, 1, 2);
        var e = new MockEngine(MockConfig.DEFAULT.withFaults(faults));
        for (int i = 0; i < 100; i++) assertThat(e.plan(false).fault()).isEqualTo(Fault.NONE);
        assertThat(e.plan(true).fault()).isEqualTo(new Fault.Drop(2));
    }

    private static double[] draw(String distribution, long meanMs, long spreadMs, int n) {
        var l = new MockConfig.Latency(distribution, Duration.ofMillis(meanMs), Duration.ofMillis(spreadMs));
        var r = new SplittableRandom(11);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = MockEngine.latency(l, r).toNanos() / 1e6;
        return out;
    }

    private static double mean(double[] xs) {
        return Arrays.stream(xs).average().orElseThrow();
    }

    private static double sd(double[] xs) {
        double m = mean(xs);
        return Math.sqrt(Arrays.stream(xs).map(x -> (x - m) * (x - m)).sum() / (xs.length - 1));
    }

    @Test
    void latency_fixed_isTheMean() {
        assertThat(draw("fixed", 30, 10, 100)).containsOnly(30.0);
    }

    @Test
    void latency_uniform_staysWithinSpreadAroundTheMean() {
        double[] xs = draw("uniform", 100, 40, 20_000);
        assertThat(Arrays.stream(xs).min().orElseThrow()).isGreaterThanOrEqualTo(60);
        assertThat(Arrays.stream(xs).max().orElseThrow()).isLessThanOrEqualTo(140);
        assertThat(mean(xs)).isCloseTo(100, within(1.0));
        assertThat(sd(xs)).isCloseTo(40 / Math.sqrt(3), within(1.0));
    }

    @Test
    void latency_normal_hasMeanAndSpreadFlooredAtZero() {
        double[] xs = draw("normal", 100, 20, 20_000);
        assertThat(mean(xs)).isCloseTo(100, within(1.0));
        assertThat(sd(xs)).isCloseTo(20, within(1.0));
        assertThat(Arrays.stream(draw("normal", 10, 100, 1000)).min().orElseThrow()).isEqualTo(0.0);
    }

    @Test
    void latency_lognormal_hasMedianMeanAndAHeavyTail() {
        double[] xs = draw("lognormal", 100, 50, 20_001);
        double[] sorted = xs.clone();
        Arrays.sort(sorted);
        assertThat(sorted[10_000]).isCloseTo(100, within(3.0));
        assertThat(mean(xs)).isCloseTo(100 * Math.exp(0.125), within(3.0));
        double p99 = sorted[(int) (0.99 * sorted.length)];
        assertThat(p99).isCloseTo(100 * Math.exp(0.5 * 2.326), within(15.0));
        assertThat(sorted[0]).isGreaterThan(0);
    }

    @Test
    void config_defaults_initialiseInAnyOrder() {
        assertThat(MockConfig.Latency.NONE.distribution()).isEqualTo("fixed");
        assertThat(MockConfig.DEFAULT.latency()).isEqualTo(MockConfig.Latency.NONE);
    }

    @Test
    void faults_ratesAboveOne_areRejected() {
        assertThatThrownBy(() -> new MockConfig.Faults(0.6, null, 0.6, null, 0, 0, 0, 0, 0))
                .isInstanceOf(ConfigException.class).hasMessageContaining("mock.faults");
    }

    @Test
    void systemSleeper_cancelledAndUnparked_returnsAtOnce() throws Exception {
        var cancelled = new AtomicBoolean();
        var result = new AtomicBoolean(true);
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                result.set(MockEngine.Sleeper.SYSTEM.sleep(Duration.ofMinutes(1).toNanos(), cancelled::get));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(20);
        cancelled.set(true);
        LockSupport.unpark(t);
        assertThat(t.join(Duration.ofSeconds(5))).isTrue();
        assertThat(result.get()).isFalse();
        assertThat(MockEngine.Sleeper.SYSTEM.sleep(1_000, () -> false)).isTrue();
    }

    @Test
    void answer_withReasoning_opensEachAlternativeWithItsOwnDeterministicReasoning() {
        var p = new Prompt("think", List.of(), true, null, false, Integer.MAX_VALUE, 2, 6);
        MockAnswer a = engine.answer(p);
        MockAnswer.Alternative first = a.alternatives().get(0);
        assertThat(first.reasoning()).hasSize(6);
        assertThat(first.reasoningText()).startsWith("Mock reasoning:");
        assertThat(first.reasoningText()).isNotEqualTo(a.alternatives().get(1).reasoningText());
        assertThat(first.outputTokens()).isEqualTo(16 + 6);
        assertThat(a.outputTokens()).isEqualTo(2 * (16 + 6));
        assertThat(first.text()).isEqualTo(engine.answer(Prompt.text("think")).alternatives().getFirst().text());
        assertThat(engine.answer(p).alternatives().get(0).reasoningText()).isEqualTo(first.reasoningText());
        assertThat(engine.answer(Prompt.text("think")).alternatives().getFirst().hasReasoning()).isFalse();
    }

    @Test
    void reasoningTokens_growWithTheEffort() {
        assertThat(List.of("none", "minimal", "low", "medium", "high", "xhigh", "max"))
                .extracting(MockEngine::reasoningTokens).containsExactly(0, 4, 6, 8, 12, 16, 16);
        assertThat(MockEngine.reasoningTokens(null)).isEqualTo(8);
    }

    @Test
    void answer_customTool_givesTheRawPatchInput() {
        var tools = List.of(new ToolSpec("apply_patch", null, true), new ToolSpec("get_weather", WEATHER));
        MockAnswer.Alternative alt = engine.answer(tools(tools, true, null, false)).alternatives().getFirst();
        assertThat(alt.toolCall().custom()).isTrue();
        assertThat(alt.toolCall().arguments()).isEqualTo(MockEngine.CUSTOM_INPUT);
        assertThat(String.join("", alt.deltas())).isEqualTo(MockEngine.CUSTOM_INPUT);
        assertThat(alt.outputTokens()).isEqualTo(MockEngine.countTokens("apply_patch" + MockEngine.CUSTOM_INPUT));
    }
}
