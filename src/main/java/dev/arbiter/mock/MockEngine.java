package dev.arbiter.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.mock.MockPlan.Fault;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;

/**
 * The brain of Arbiter's fake model, shared by the in-process provider {@code mock} and the HTTP server
 * {@code arbiter mock-upstream}. It is not a model: every answer says so in its first words.
 *
 * <p>Design. Answers are a pure function of the prompt: a 64-bit FNV-1a hash of the prompt text (finished
 * with SplitMix64's mixer) seeds a counter-based stream, {@code mix64(seed + i * gamma)}, that picks token
 * {@code i} from a fixed vocabulary, so the same prompt gives the same words in any process, on any thread,
 * without state. Alternative {@code k} of {@code n} hashes in {@code k}, so alternative 0 does not depend on
 * {@code n}. An answer is {@code min(outputTokens, maxTokens)} tokens, one word each, the first two being
 * "Mock answer:"; it is a tool call instead when tools are offered, the tool choice allows one and the last
 * message is not a tool result. A custom (freeform) tool gets {@link #CUSTOM_INPUT}, a small patch. A test can steer
 * an agent with a {@link MockDirective} in the last user message: {@code [[mock-say TEXT]]} answers {@code TEXT};
 * {@code [[mock-tool NAME ARGS]]} calls tool {@code NAME} with {@code ARGS}, then quotes its result. When the prompt
 * asks for reasoning, each alternative opens with {@code reasoningTokens} tokens of reasoning, "Mock reasoning:" and
 * words drawn as above from a salted seed; they count toward output tokens. Token counts are {@code ceil(chars / 4)},
 * at least 1, so usage is predictable without a tokenizer. Embeddings use the same hash stream, normalised to unit
 * length. Reasoning is signed by {@link MockSigner}, whose secret derives from the seed.
 *
 * <p>Timing and faults are the only random parts. With {@code seed >= 0}, request {@code k} (in the order
 * {@link #plan} is called) draws from its own {@link SplittableRandom} seeded with {@code mix64(seed + k *
 * gamma)}, taken from an {@link AtomicLong}: thread-safe without locks, and a single-threaded caller sees
 * the same sequence of plans on every run. With {@code seed < 0} draws come from {@link ThreadLocalRandom}.
 * A config with no faults and a fixed latency skips the draw and returns one precomputed plan. Waiting goes
 * through an injected {@link Sleeper}, so tests can record delays instead of sleeping.
 */
public final class MockEngine {
    private static final long GAMMA = 0x9E3779B97F4A7C15L;
    private static final long SLICE_NANOS = 50_000_000L;
    private static final HexFormat HEX = HexFormat.of();
    private static final String[] WORDS = {
        "alpha", "bravo", "cedar", "delta", "ember", "fjord", "gamma", "harbor", "indigo", "juniper", "kelp",
        "lumen", "maple", "nectar", "onyx", "pebble", "quartz", "raven", "sierra", "tundra", "umber", "velvet",
        "willow", "xenon", "yarrow", "zephyr", "amber", "basalt", "cobalt", "dune", "echo", "flint", "garnet",
        "hazel", "iris", "jade", "kestrel", "lichen", "meadow", "nimbus", "opal", "prism", "quill", "ridge",
        "saffron", "thistle", "ultra", "vertex", "wren", "yonder", "zinc", "aurora", "birch", "canyon", "drift",
        "estuary", "fern", "glacier", "heron", "island", "jasper", "kite", "lagoon", "mist",
    };
    private static final String[] TOKENS = new String[WORDS.length];
    private static final String[] PREFIX = {"Mock", " answer:"};
    private static final String[] REASONING_PREFIX = {"Mock", " reasoning:"};
    private static final long REASONING_SALT = 0x5EA5_0A1D_C0DE_F00DL;
    /** Splits a fixed answer into tokens before each run of whitespace that follows a non-space: joined, they give it back. */
    private static final Pattern WORD = Pattern.compile("(?<=\\S)(?=\\s)");

    /** What the fake puts in a custom tool call: a patch in Codex's apply_patch format, quotes and newlines in it. */
    public static final String CUSTOM_INPUT = "*** Begin Patch\n*** Add File: hello.txt\n+Hello \"mock\"\n*** End Patch\n";

    static {
        for (int i = 0; i < WORDS.length; i++) TOKENS[i] = " " + WORDS[i];
    }

    /** Waits out the fake's delays. */
    @FunctionalInterface
    public interface Sleeper {
        /**
         * Waits {@code nanos}, or less once {@code cancelled} says so.
         *
         * @return true when the full time passed, false when cancelled
         */
        boolean sleep(long nanos, BooleanSupplier cancelled) throws InterruptedException;

        /**
         * Parks the thread, checking {@code cancelled} at least every 50 ms and whenever it is unparked, so a
         * canceller can end the wait at once with {@link LockSupport#unpark}.
         */
        Sleeper SYSTEM = MockEngine::park;
    }

    /** A tool offered to the model: its name and JSON Schema (may be null); {@code custom} for a freeform tool. */
    public record ToolSpec(String name, JsonNode schema, boolean custom) {
        public ToolSpec(String name, JsonNode schema) {
            this(name, schema, false);
        }
    }

    /**
     * What the engine answers from.
     *
     * @param text the prompt: the texts of the messages (text parts and tool results) concatenated in order
     * @param toolsAllowed false when the tool choice is "none"
     * @param namedTool the tool the choice forces, or null for the first offered
     * @param afterToolResult the last message carries a tool result
     * @param maxTokens the request's output limit, {@link Integer#MAX_VALUE} when it sets none; capped so that the
     *     {@code n} alternatives together stay within {@link MockLimits#MAX_ANSWER_TOKENS}
     * @param n the number of alternatives, 1..{@link MockLimits#MAX_N}
     * @param reasoningTokens the length of the reasoning before each answer, 0 for none
     * @param userText the texts of the last user message that is not only tool results (the one a person typed),
     *     joined by newlines: where the engine looks for a {@link MockDirective}
     * @param toolResult the texts of the tool results that end the conversation, joined by newlines; empty when it
     *     does not end with one
     */
    public record Prompt(String text, List<ToolSpec> tools, boolean toolsAllowed, String namedTool,
                         boolean afterToolResult, int maxTokens, int n, int reasoningTokens, String userText,
                         String toolResult) {
        public Prompt {
            text = text == null ? "" : text;
            tools = tools == null ? List.of() : List.copyOf(tools);
            n = MockLimits.n(n);
            maxTokens = Math.min(Math.max(1, maxTokens), MockLimits.tokensPerChoice(n));
            reasoningTokens = Math.max(0, reasoningTokens);
            userText = userText == null ? "" : userText;
            toolResult = toolResult == null ? "" : toolResult;
        }

        public Prompt(String text, List<ToolSpec> tools, boolean toolsAllowed, String namedTool, boolean afterToolResult,
                      int maxTokens, int n, int reasoningTokens) {
            this(text, tools, toolsAllowed, namedTool, afterToolResult, maxTokens, n, reasoningTokens, "", "");
        }

        public Prompt(String text, List<ToolSpec> tools, boolean toolsAllowed, String namedTool, boolean afterToolResult,
                      int maxTokens, int n) {
            this(text, tools, toolsAllowed, namedTool, afterToolResult, maxTokens, n, 0);
        }

        public static Prompt text(String text) {
            return new Prompt(text, List.of(), true, null, false, Integer.MAX_VALUE, 1);
        }
    }

    /** One text of an embedding or legacy completion input, with its token count. */
    public record Input(String text, int tokens) {}

    private final MockConfig config;
    private final Sleeper sleeper;
    private final InstantSource clock;
    private final AtomicLong draws = new AtomicLong();
    private final AtomicLong ids = new AtomicLong();
    private final Duration perToken;
    private final MockPlan fixedPlan;
    private final MockSigner signer;

    public MockEngine(MockConfig config) {
        this(config, Sleeper.SYSTEM, InstantSource.system());
    }

    public MockEngine(MockConfig config, Sleeper sleeper, InstantSource clock) {
        this.config = config;
        this.sleeper = sleeper;
        this.clock = clock;
        this.perToken = config.tokensPerSecond() == 0 ? Duration.ZERO
                : Duration.ofNanos(Math.round(1e9 / config.tokensPerSecond()));
        boolean fixed = config.faults().none() && "fixed".equals(config.latency().distribution())
                && config.latency().slowRate() == 0;
        this.fixedPlan = fixed ? new MockPlan(config.latency().mean(), config.ttft(), perToken, Fault.NONE) : null;
        this.signer = new MockSigner(config.seed());
    }

    public MockConfig config() {
        return config;
    }

    /** An engine of {@code other}'s config with this one's sleeper and clock. */
    MockEngine with(MockConfig other) {
        return new MockEngine(other, sleeper, clock);
    }

    public Sleeper sleeper() {
        return sleeper;
    }

    /** Issues and checks the fake's reasoning signatures and encrypted content. */
    MockSigner signer() {
        return signer;
    }

    /**
     * The reasoning length for an effort: {@code none} 0, {@code minimal} 4, {@code low} 6, {@code medium} (and
     * null or unknown values) 8, {@code high} 12, {@code xhigh} and Anthropic's {@code max} 16; so a test can tell
     * which effort reached the fake.
     */
    public static int reasoningTokens(String effort) {
        return switch (effort == null ? "medium" : effort) {
            case "none" -> 0;
            case "minimal" -> 4;
            case "low" -> 6;
            case "high" -> 12;
            case "xhigh", "max" -> 16;
            default -> 8;
        };
    }

    /** Now, in Unix seconds, for {@code created} fields. */
    public long epochSecond() {
        return clock.instant().getEpochSecond();
    }

    /** A fresh id such as {@code chatcmpl-mock-1f}: unique within this engine, not random. */
    public String nextId(String prefix) {
        return prefix + "mock-" + Long.toHexString(ids.incrementAndGet());
    }

    /** The deterministic answer to {@code p}: as its {@link MockDirective} says, when it has one that applies. */
    public MockAnswer answer(Prompt p) {
        long base = hash(p.text());
        MockDirective directive = directive(p);
        ToolSpec tool = directive == null ? toolFor(p) : null;
        var alternatives = new ArrayList<MockAnswer.Alternative>(p.n());
        int output = 0;
        for (int k = 0; k < p.n(); k++) {
            long seed = mix64(base + (k + 1) * GAMMA);
            MockAnswer.Alternative a = switch (directive) {
                case MockDirective.Say(String text) -> fixedAlternative(k, text, p.maxTokens());
                case MockDirective.CallTool _ when p.afterToolResult() ->
                        fixedAlternative(k, MockDirective.quote(p.toolResult()), p.maxTokens());
                case MockDirective.CallTool(ToolSpec t, String args) -> callAlternative(k, seed, t, args);
                case null -> tool != null ? toolAlternative(k, seed, tool) : textAlternative(k, seed, p.maxTokens());
            };
            if (p.reasoningTokens() > 0) {
                a = new MockAnswer.Alternative(k, a.tokens(), a.toolCall(), a.finish(),
                        a.outputTokens() + p.reasoningTokens(), reasoning(seed, p.reasoningTokens()));
            }
            alternatives.add(a);
            output += a.outputTokens();
        }
        return new MockAnswer(alternatives, countTokens(p.text()), output);
    }

    /** The prompt's directive, when it has one that applies: a tool call only where the tool choice allows it. */
    private static MockDirective directive(Prompt p) {
        MockDirective d = MockDirective.find(p.userText(), p.tools()).orElse(null);
        if (d instanceof MockDirective.CallTool c && !p.afterToolResult()
                && (!p.toolsAllowed() || p.namedTool() != null && !p.namedTool().equals(c.tool().name()))) {
            return null;
        }
        return d;
    }

    /** An alternative answering exactly {@code text}, cut to {@code maxTokens} words. */
    private static MockAnswer.Alternative fixedAlternative(int index, String text, int maxTokens) {
        var tokens = new ArrayList<String>();
        for (String w : WORD.split(text)) if (!w.isEmpty()) tokens.add(w);
        var finish = MockAnswer.Finish.STOP;
        if (tokens.size() > maxTokens) {
            tokens.subList(maxTokens, tokens.size()).clear();
            finish = MockAnswer.Finish.LENGTH;
        }
        return new MockAnswer.Alternative(index, tokens, null, finish, countTokens(String.join("", tokens)));
    }

    private ToolSpec toolFor(Prompt p) {
        if (p.tools().isEmpty() || !p.toolsAllowed() || p.afterToolResult()) return null;
        if (p.namedTool() == null) return p.tools().getFirst();
        for (ToolSpec t : p.tools()) if (t.name().equals(p.namedTool())) return t;
        return new ToolSpec(p.namedTool(), null);
    }

    private MockAnswer.Alternative textAlternative(int index, long seed, int maxTokens) {
        int count = Math.min(config.outputTokens(), maxTokens);
        var tokens = new ArrayList<String>(count);
        for (int i = 0; i < count; i++) {
            if (i < PREFIX.length) tokens.add(PREFIX[i]);
            else tokens.add(TOKENS[(int) (mix64(seed + i * GAMMA) >>> 58)]);
        }
        var finish = count < config.outputTokens() ? MockAnswer.Finish.LENGTH : MockAnswer.Finish.STOP;
        return new MockAnswer.Alternative(index, tokens, null, finish, count);
    }

    private static List<String> reasoning(long seed, int count) {
        var tokens = new ArrayList<String>(count);
        long s = mix64(seed ^ REASONING_SALT);
        for (int i = 0; i < count; i++) {
            if (i < REASONING_PREFIX.length) tokens.add(REASONING_PREFIX[i]);
            else tokens.add(TOKENS[(int) (mix64(s + i * GAMMA) >>> 58)]);
        }
        return tokens;
    }

    private static MockAnswer.Alternative toolAlternative(int index, long seed, ToolSpec tool) {
        return callAlternative(index, seed, tool, tool.custom() ? CUSTOM_INPUT : argumentsFor(tool.schema()));
    }

    private static MockAnswer.Alternative callAlternative(int index, long seed, ToolSpec tool, String args) {
        long h = mix64(seed ^ hash(tool.name()));
        String id = "call_" + HEX.toHexDigits(h) + HEX.toHexDigits(mix64(h)).substring(0, 8);
        var call = new MockAnswer.ToolCall(id, tool.name(), args, tool.custom());
        return new MockAnswer.Alternative(index, List.of(), call, MockAnswer.Finish.TOOL_CALLS,
                countTokens(tool.name() + args));
    }

    /**
     * JSON arguments satisfying {@code schema}'s required properties: string "mock", number and integer 1,
     * boolean true, array [], null null, object the same recursively (so {} without required properties);
     * an {@code enum} or {@code const} gives its (first) value.
     */
    public static String argumentsFor(JsonNode schema) {
        JsonNode v = valueFor(schema, 0);
        return v.isObject() ? v.toString() : "{}";
    }

    private static JsonNode valueFor(JsonNode schema, int depth) {
        var f = JsonNodeFactory.instance;
        if (schema == null || !schema.isObject()) return f.objectNode();
        if (schema.has("const")) return schema.get("const");
        JsonNode e = schema.get("enum");
        if (e != null && e.isArray() && !e.isEmpty()) return e.get(0);
        JsonNode alt = schema.has("anyOf") ? schema.get("anyOf") : schema.get("oneOf");
        if (!schema.has("type") && alt != null && alt.isArray() && !alt.isEmpty()) return valueFor(alt.get(0), depth + 1);
        return switch (typeOf(schema)) {
            case "string" -> f.textNode("mock");
            case "number", "integer" -> f.numberNode(1);
            case "boolean" -> f.booleanNode(true);
            case "array" -> f.arrayNode();
            case "null" -> f.nullNode();
            default -> {
                ObjectNode o = f.objectNode();
                JsonNode props = schema.path("properties");
                if (depth < 8) {
                    for (JsonNode r : schema.path("required")) {
                        if (r.isTextual()) o.set(r.asText(), valueFor(props.get(r.asText()), depth + 1));
                    }
                }
                yield o;
            }
        };
    }

    private static String typeOf(JsonNode schema) {
        JsonNode t = schema.get("type");
        if (t != null && t.isTextual()) return t.asText();
        if (t != null && t.isArray()) {
            for (JsonNode x : t) if (x.isTextual() && !"null".equals(x.asText())) return x.asText();
        }
        if (schema.has("items")) return "array";
        return "object";
    }

    /** The token count the fake reports for {@code text}: a quarter of its characters, rounded up, at least 1. */
    public static int countTokens(String text) {
        return Math.max(1, (text.length() + 3) / 4);
    }

    /**
     * The texts of an embedding or legacy-completion input: a string, an array of strings, an array of token
     * ids (one text, its tokens written as decimal numbers) or an array of such arrays. Null gives one empty text.
     */
    public static List<Input> inputs(JsonNode input) {
        if (input == null || input.isNull() || input.isMissingNode()) return List.of(new Input("", 1));
        if (!input.isArray()) return List.of(text(input));
        boolean tokenIds = !input.isEmpty();
        for (JsonNode x : input) tokenIds &= x.isNumber();
        if (tokenIds) return List.of(tokenIds(input));
        var out = new ArrayList<Input>(input.size());
        for (JsonNode x : input) out.add(x.isArray() ? tokenIds(x) : text(x));
        return out;
    }

    private static Input text(JsonNode x) {
        String s = x.isTextual() ? x.asText() : x.toString();
        return new Input(s, countTokens(s));
    }

    private static Input tokenIds(JsonNode arr) {
        var sb = new StringBuilder();
        for (JsonNode t : arr) sb.append(sb.isEmpty() ? "" : " ").append(t.asText());
        return new Input(sb.toString(), Math.max(1, arr.size()));
    }

    /** A unit-length vector of {@code dims} components, a function of {@code text} only. */
    public static float[] embed(String text, int dims) {
        long seed = hash(text);
        double[] v = new double[dims];
        double norm = 0;
        for (int i = 0; i < dims; i++) {
            v[i] = (mix64(seed + (i + 1) * GAMMA) >>> 11) * 0x1.0p-52 - 1.0;
            norm += v[i] * v[i];
        }
        norm = norm == 0 ? 1 : Math.sqrt(norm);
        float[] out = new float[dims];
        for (int i = 0; i < dims; i++) out[i] = (float) (v[i] / norm);
        return out;
    }

    /** Draws the timing and fault of one request; {@code stream} says whether a Drop can apply. */
    public MockPlan plan(boolean stream) {
        if (fixedPlan != null) return fixedPlan;
        RandomGenerator r = config.seed() < 0 ? ThreadLocalRandom.current()
                : new SplittableRandom(mix64(config.seed() + draws.getAndIncrement() * GAMMA));
        Fault fault = fault(r, stream);
        return new MockPlan(latency(config.latency(), r), config.ttft(), perToken, fault);
    }

    private Fault fault(RandomGenerator r, boolean stream) {
        MockConfig.Faults f = config.faults();
        if (f.none()) return Fault.NONE;
        double u = r.nextDouble();
        if ((u -= f.rateLimitRate()) < 0) return new Fault.RateLimited(f.retryAfter());
        if ((u -= f.errorRate()) < 0) return new Fault.Error(f.errorStatuses().get(r.nextInt(f.errorStatuses().size())));
        if ((u -= f.hangRate()) < 0) return new Fault.Hang();
        if ((u -= f.resetRate()) < 0) return new Fault.Reset();
        if ((u -= f.malformedRate()) < 0) return new Fault.Malformed();
        if ((u -= f.dropRate()) < 0 && stream) return new Fault.Drop(f.dropAfterTokens());
        return Fault.NONE;
    }

    static Duration latency(MockConfig.Latency l, RandomGenerator r) {
        double mean = l.mean().toNanos();
        double spread = l.spread().toNanos();
        double nanos = switch (l.distribution()) {
            case "uniform" -> mean + (2 * r.nextDouble() - 1) * spread;
            case "normal" -> mean + r.nextGaussian() * spread;
            case "lognormal" -> mean == 0 ? 0 : mean * Math.exp(r.nextGaussian() * spread / mean);
            default -> mean;
        };
        if (l.slowRate() > 0 && r.nextDouble() < l.slowRate()) return l.slow();
        return Duration.ofNanos((long) Math.max(0, nanos));
    }

    private static boolean park(long nanos, BooleanSupplier cancelled) throws InterruptedException {
        long end = System.nanoTime() + nanos;
        while (true) {
            if (cancelled.getAsBoolean()) return false;
            if (Thread.interrupted()) throw new InterruptedException();
            long left = end - System.nanoTime();
            if (left <= 0) return true;
            LockSupport.parkNanos(Math.min(left, SLICE_NANOS));
        }
    }

    static long hash(String s) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < s.length(); i++) {
            h ^= s.charAt(i);
            h *= 0x100000001b3L;
        }
        return mix64(h);
    }

    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
