package dev.arbiter.mock;

import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigNode;
import dev.arbiter.config.Section;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How Arbiter's fake model behaves: in process (provider {@code mock}) and as {@code arbiter mock-upstream}.
 * Answers are deterministic (a function of the request); latency and faults are drawn from a seeded random.
 *
 * @param latency time before a non-streamed answer (and added before a stream's first token)
 * @param ttft extra time to first token of a stream
 * @param tokensPerSecond stream rate after the first token; 0 sends all tokens at once
 * @param outputTokens length of an answer in tokens when the request sets no smaller max
 * @param embeddingDimensions length of each embedding vector
 * @param faults injected failures
 * @param seed seed of the latency and fault draws: the same seed gives the same sequence of draws; a negative
 *             seed draws from {@link java.util.concurrent.ThreadLocalRandom} (not reproducible). It also derives the
 *             secret of the fake's reasoning signatures, so two fakes with the same seed accept each other's.
 * @param strictReasoning enforce DeepSeek's rule on chat completions: with {@code reasoning_effort} set, an assistant
 *             message with tool calls in the current turn must carry {@code reasoning_content} (else 400)
 */
public record MockConfig(Latency latency, Duration ttft, double tokensPerSecond, int outputTokens,
                         int embeddingDimensions, Faults faults, long seed, boolean strictReasoning) {

    public static final MockConfig DEFAULT = new MockConfig(Latency.NONE, Duration.ZERO, 0, 16, 64, Faults.NONE, 42);

    /** A deployment's {@code mock:} block, for provider {@code mock}. */
    public static final Section<MockConfig> SECTION = Section.perDeployment("mock", DEFAULT, MockConfig::bind);

    public MockConfig {
        latency = latency == null ? Latency.NONE : latency;
        ttft = ttft == null ? Duration.ZERO : ttft;
        faults = faults == null ? Faults.NONE : faults;
        ConfigException.require(!ttft.isNegative(), "mock.ttft", ttft, "a duration >= 0");
        ConfigException.require(tokensPerSecond >= 0, "mock.tokens-per-second", tokensPerSecond, ">= 0");
        ConfigException.require(outputTokens >= 1 && outputTokens <= 100_000, "mock.output-tokens", outputTokens, "1..100000");
        ConfigException.require(embeddingDimensions >= 1 && embeddingDimensions <= 8192, "mock.embedding-dimensions",
                embeddingDimensions, "1..8192");
    }

    /** A config with {@code strictReasoning} on. */
    public MockConfig(Latency latency, Duration ttft, double tokensPerSecond, int outputTokens, int embeddingDimensions,
                      Faults faults, long seed) {
        this(latency, ttft, tokensPerSecond, outputTokens, embeddingDimensions, faults, seed, true);
    }

    public MockConfig withFaults(Faults f) {
        return new MockConfig(latency, ttft, tokensPerSecond, outputTokens, embeddingDimensions, f, seed, strictReasoning);
    }

    public MockConfig withStrictReasoning(boolean strict) {
        return new MockConfig(latency, ttft, tokensPerSecond, outputTokens, embeddingDimensions, faults, seed, strict);
    }

    /** {@code latency} is a duration (fixed) or a distribution: {@code {distribution, mean, spread, slow-rate, slow}}. */
    private static MockConfig bind(ConfigNode m) {
        var d = DEFAULT;
        Latency latency = Latency.NONE;
        if (m.has("latency") && m.raw().get("latency").isObject()) {
            ConfigNode l = m.child("latency");
            latency = l.build(() -> new Latency(l.string("distribution", "fixed"), l.duration("mean", Duration.ZERO),
                    l.duration("spread", Duration.ZERO), l.number("slow-rate", 0), l.duration("slow", Duration.ZERO)));
        } else if (m.has("latency")) {
            latency = new Latency("fixed", m.duration("latency", Duration.ZERO), Duration.ZERO);
        }
        Latency lat = latency;
        Duration ttft = m.duration("ttft", d.ttft());
        double tokensPerSecond = m.number("tokens-per-second", d.tokensPerSecond());
        int outputTokens = m.integer("output-tokens", d.outputTokens());
        int embeddingDimensions = m.integer("embedding-dimensions", d.embeddingDimensions());
        Faults faults = faults(m.child("faults"));
        long seed = m.longValue("seed", d.seed());
        return new MockConfig(lat, ttft, tokensPerSecond, outputTokens, embeddingDimensions, faults, seed);
    }

    private static Faults faults(ConfigNode f) {
        if (!f.present()) return Faults.NONE;
        var fd = Faults.NONE;
        double errorRate = f.number("error-rate", 0);
        var statuses = new ArrayList<Integer>();
        for (ConfigNode s : f.list("error-statuses")) {
            if (s.raw().canConvertToInt()) statuses.add(s.raw().asInt());
            else s.problem(s.path(), s.raw(), "an HTTP status");
        }
        double rateLimitRate = f.number("rate-limit-rate", 0);
        Duration retryAfter = f.duration("retry-after", fd.retryAfter());
        return f.build(() -> new Faults(errorRate, statuses, rateLimitRate, retryAfter, f.number("hang-rate", 0),
                f.number("reset-rate", 0), f.number("malformed-rate", 0), f.number("drop-rate", 0),
                f.integer("drop-after-tokens", fd.dropAfterTokens())));
    }

    /**
     * A latency distribution. {@code fixed}: always {@code mean}; {@code uniform}: mean ± spread;
     * {@code normal}: mean with standard deviation spread, floored at 0; {@code lognormal}: median mean,
     * with spread as the standard deviation of the underlying normal in units of the mean (heavy tail). With
     * {@code slowRate} above 0, that share of answers takes {@code slow} instead (a slow tail: "5% take 2 s").
     */
    public record Latency(String distribution, Duration mean, Duration spread, double slowRate, Duration slow) {
        public static final List<String> DISTRIBUTIONS = List.of("fixed", "uniform", "normal", "lognormal");
        public static final Latency NONE = new Latency("fixed", Duration.ZERO, Duration.ZERO);

        public Latency(String distribution, Duration mean, Duration spread) {
            this(distribution, mean, spread, 0, Duration.ZERO);
        }

        public Latency {
            slow = slow == null ? Duration.ZERO : slow;
            ConfigException.require(slowRate >= 0 && slowRate <= 1, "mock.latency.slow-rate", slowRate, "a probability 0..1");
            ConfigException.require(!slow.isNegative(), "mock.latency.slow", slow, "a duration >= 0");
            distribution = distribution == null ? "fixed" : distribution;
            mean = mean == null ? Duration.ZERO : mean;
            spread = spread == null ? Duration.ZERO : spread;
            ConfigException.require(DISTRIBUTIONS.contains(distribution), "mock.latency.distribution", distribution,
                    String.join(", ", DISTRIBUTIONS));
            ConfigException.require(!mean.isNegative(), "mock.latency.mean", mean, "a duration >= 0");
            ConfigException.require(!spread.isNegative(), "mock.latency.spread", spread, "a duration >= 0");
        }
    }

    /**
     * Injected failures; each rate is the probability that a request gets that fault, the kinds being exclusive
     * (one uniform draw against the cumulative rates, in this order): {@code rateLimitRate} (429 with Retry-After),
     * {@code errorRate} (a status from {@code errorStatuses}, each equally likely), {@code hangRate} (never
     * answers; the caller's timeout must fire), {@code resetRate} (connection closed before any answer),
     * {@code malformedRate} (a 200 whose body is not valid JSON / SSE), {@code dropRate} (a stream cut after
     * {@code dropAfterTokens} tokens, without its final event; a request that is not streamed and draws it is
     * answered normally). The rates sum to at most 1.
     */
    public record Faults(double errorRate, List<Integer> errorStatuses, double rateLimitRate, Duration retryAfter,
                         double hangRate, double resetRate, double malformedRate, double dropRate, int dropAfterTokens) {
        public static final Faults NONE = new Faults(0, List.of(500), 0, Duration.ofSeconds(1), 0, 0, 0, 0, 2);

        public Faults {
            errorStatuses = errorStatuses == null || errorStatuses.isEmpty() ? List.of(500) : List.copyOf(errorStatuses);
            retryAfter = retryAfter == null ? Duration.ofSeconds(1) : retryAfter;
            rate("error-rate", errorRate);
            rate("rate-limit-rate", rateLimitRate);
            rate("hang-rate", hangRate);
            rate("reset-rate", resetRate);
            rate("malformed-rate", malformedRate);
            rate("drop-rate", dropRate);
            for (int s : errorStatuses) {
                ConfigException.require(s >= 400 && s <= 599, "mock.faults.error-statuses", s, "HTTP statuses 400..599");
            }
            ConfigException.require(dropAfterTokens >= 0, "mock.faults.drop-after-tokens", dropAfterTokens, ">= 0");
            double sum = errorRate + rateLimitRate + hangRate + resetRate + malformedRate + dropRate;
            ConfigException.require(sum <= 1 + 1e-9, "mock.faults", "rates summing to " + sum, "rates summing to at most 1");
        }

        /** True when no fault can be drawn. */
        public boolean none() {
            return errorRate + rateLimitRate + hangRate + resetRate + malformedRate + dropRate == 0;
        }

        private static void rate(String name, double v) {
            ConfigException.require(v >= 0 && v <= 1, "mock.faults." + name, v, "a probability 0..1");
        }
    }
}
