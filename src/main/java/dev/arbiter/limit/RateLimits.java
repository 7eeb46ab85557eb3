package dev.arbiter.limit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.arbiter.auth.ApiKey;
import dev.arbiter.auth.KeyLimits;
import dev.arbiter.db.Redis;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.pipeline.Exchange;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/**
 * The rate limits of a gateway: which tiers apply to a request (global, its team, its key, its user, its model),
 * the counters of each (in memory, or in Redis through {@link RedisRateLimiter}), and the in-flight counts of the
 * {@code concurrency} limits (kept by each gateway: a count held across gateways would leak when one dies).
 *
 * <p>{@link #admit} takes one request from every request rule and the estimated tokens from every token rule, all
 * or none: when a rule refuses, what the earlier rules took is given back, and the request is refused with 429. The
 * {@link Admission} it returns corrects the token rules with the real usage and releases concurrency when the answer
 * is complete. A token rule's estimate is the input counted by the tokenizer plus {@code max_tokens} when given
 * (as OpenAI estimates it), at most the rule's burst.
 */
public final class RateLimits {
    /** The tier labels, as metrics show them. */
    static final List<String> TIERS = List.of("global", "team", "key", "user", "model", "deployment");
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9@._+-]{1,64}");

    private final RateLimitConfig config;
    private final Rule.Algorithm keyAlgorithm;
    private final MemoryRateLimiter memory;
    private final RedisRateLimiter redis;
    private final Function<String, Optional<String>> canonicalModel;
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    private final Map<String, Counter> rejections = new ConcurrentHashMap<>();
    private final MeterRegistry metrics;
    /** The rules of each key's limits, made once rather than per request (keys with the same limits share them). */
    private final Cache<KeyLimits, LimitSpec> keySpecs = Caffeine.newBuilder().maximumSize(10_000).build();

    /**
     * @param redis          the gateway's Redis client, or null (every rule then counts in memory, whole)
     * @param canonicalModel a requested model name to the configured model's name (aliases resolved)
     */
    public RateLimits(RateLimitConfig config, Redis redis, Function<String, Optional<String>> canonicalModel, MeterRegistry metrics,
                      LongSupplier nanos) {
        this.config = config;
        this.keyAlgorithm = config.algorithm();
        this.memory = new MemoryRateLimiter(nanos);
        this.redis = redis == null ? null : new RedisRateLimiter(redis, config.keyPrefix(), config.nodes(), nanos);
        this.canonicalModel = canonicalModel;
        this.metrics = metrics;
        for (String tier : TIERS) {
            for (String d : List.of("requests", "tokens", "concurrency")) rejections(tier, d);
        }
    }

    private Counter rejections(String tier, String dimension) {
        return rejections.computeIfAbsent(tier + "/" + dimension, k -> Counter.builder("arbiter.limit.rejections")
                .description("Requests refused by a rate limit, by tier and dimension").tag("tier", tier).tag("dimension", dimension)
                .register(metrics));
    }

    /** One tier that applies to a request: its label, the key its counters are kept under, its limits. */
    record Tier(String label, String key, LimitSpec spec) {}

    List<Tier> tiers(Exchange ex) {
        var out = new ArrayList<Tier>(5);
        if (!config.global().none()) out.add(new Tier("global", "global", config.global()));
        String team = ex.caller().team();
        if (!team.isEmpty()) {
            LimitSpec t = config.teams().getOrDefault(team, config.team());
            if (!t.none()) out.add(new Tier("team", "team:" + plain(team), t));
        }
        Optional<ApiKey> key = ex.attribute(ApiKey.KEY);
        if (key.isPresent() && !key.get().spec().limits().none()) {
            out.add(new Tier("key", "key:" + key.get().id(), keySpecs.get(key.get().spec().limits(), this::keySpec)));
        }
        if (!config.user().none()) {
            String user = !ex.caller().user().isEmpty() ? ex.caller().user()
                    : Optional.ofNullable(ex.request().user()).filter(u -> !u.isBlank()).or(() -> ex.header("x-arbiter-user")).orElse("");
            if (!user.isEmpty()) out.add(new Tier("user", "user:" + plain(user), config.user()));
        }
        if (!config.models().isEmpty() && ex.request().model() != null) {
            String m = canonicalModel.apply(ex.request().model()).orElse(ex.request().model());
            LimitSpec s = config.models().get(m);
            if (s != null) out.add(new Tier("model", "model:" + plain(m), s));
        }
        return out;
    }

    private LimitSpec keySpec(KeyLimits l) {
        return new LimitSpec(LimitSpec.of(l.rps(), l.rpm(), l.rpd(), l.tpm(), keyAlgorithm, 1, config.store()), l.concurrency());
    }

    /** A caller-supplied name as part of a counter's key: as it is when plain, else its hash. */
    private static String plain(String s) {
        if (PLAIN.matcher(s).matches()) return s;
        try {
            return "h:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)), 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private RateLimiter limiter(Rule r) {
        return r.store() == Rule.Store.REDIS && redis != null ? redis : memory;
    }

    /**
     * Admits a request under every tier's limits, or refuses it with 429 (rate_limit_exceeded, Retry-After and the
     * x-ratelimit headers).
     */
    public Admission admit(Exchange ex) {
        return admit(tiers(ex), ex);
    }

    /**
     * Admits one call to a deployment under the deployment's own limits ({@code models[].deployments[].limits}, e.g.
     * 80% of the provider's quota), counted under {@code deployment:<model>/<name>}; refuses with 429 as
     * {@link #admit(Exchange)} does. Nothing is taken when {@code spec} is empty.
     */
    public Admission admitDeployment(String model, String deployment, LimitSpec spec, Exchange exchange) {
        if (spec.none()) return new Admission(this);
        return admit(List.of(new Tier("deployment", "deployment:" + plain(model) + "/" + plain(deployment), spec)), exchange);
    }

    private Admission admit(List<Tier> tiers, Exchange exchange) {
        var admission = new Admission(this);
        if (tiers.isEmpty()) return admission;
        long estimate = -1;
        // the Redis-kept rules are checked together after the others, in one round trip (RedisRateLimiter.acquireAll)
        List<Tier> sharedTiers = new java.util.ArrayList<>(0);
        List<RedisRateLimiter.Check> shared = new java.util.ArrayList<>(0);
        try {
            for (Tier t : tiers) {
                for (Rule r : t.spec().rules()) {
                    long cost = 1;
                    if (r.dimension() == Rule.Dimension.TOKENS) {
                        if (estimate < 0) {
                            long input = InputTokens.of(exchange);
                            admission.counted(new InputTokens(exchange.request(), input));
                            estimate = estimate(input, exchange.request());
                        }
                        cost = Math.max(1, Math.min(estimate, r.burst()));
                    }
                    RateLimiter limiter = limiter(r);
                    if (limiter == redis) {
                        sharedTiers.add(t);
                        shared.add(new RedisRateLimiter.Check(t.key(), r, cost));
                        continue;
                    }
                    RateLimiter.Decision d = limiter.acquire(t.key(), r, cost);
                    if (d == null) continue;
                    admission.saw(r, d);
                    if (!d.allowed()) throw refused(t, r, d, admission);
                    admission.took(t.key(), r, cost);
                }
                if (t.spec().concurrency() > 0) {
                    AtomicInteger n = inFlight.computeIfAbsent(t.key(), k -> new AtomicInteger());
                    if (n.incrementAndGet() > t.spec().concurrency()) {
                        n.decrementAndGet();
                        rejections(t.label(), "concurrency").increment();
                        throw admission.headers(new ArbiterException.Overloaded("Rate limit reached for " + t.label()
                                + ": at most " + t.spec().concurrency() + " requests in flight; retry when one completes",
                                Duration.ofSeconds(1), true));
                    }
                    admission.holding(n);
                }
            }
            if (!shared.isEmpty()) admitShared(sharedTiers, shared, admission);
            return admission;
        } catch (RuntimeException e) {
            admission.rollBack();
            admission.giveBack();
            throw e;
        }
    }

    /** The Redis-kept rules' one check: all taken, or none (then the first refused one answers the request). */
    private void admitShared(List<Tier> tiers, List<RedisRateLimiter.Check> checks, Admission admission) {
        RedisRateLimiter.Batch b = redis.acquireAll(checks);
        for (int i = 0; i < checks.size(); i++) admission.saw(checks.get(i).rule(), b.decisions().get(i));
        if (b.taken()) {
            for (RedisRateLimiter.Check c : checks) admission.took(c.key(), c.rule(), c.cost());
            return;
        }
        for (int i = 0; i < checks.size(); i++) {
            if (!b.decisions().get(i).allowed()) throw refused(tiers.get(i), checks.get(i).rule(), b.decisions().get(i), admission);
        }
        throw new IllegalStateException("a refused batch with no refused rule");
    }

    private ArbiterException refused(Tier t, Rule r, RateLimiter.Decision d, Admission a) {
        rejections(t.label(), r.dimension().label()).increment();
        long wait = Math.max(1, d.retryAfterMillis());
        return a.headers(new ArbiterException.Overloaded("Rate limit reached for " + t.label() + " (" + r.dimension().label()
                + " per " + r.window() + "): limit " + r.limit() + "; retry after " + Admission.duration(wait),
                Duration.ofMillis(wait), true));
    }

    private static long estimate(long input, LlmRequest req) {
        return input + (req.maxTokens() == null ? 0 : Math.max(0, req.maxTokens()));
    }

    void adjust(String key, Rule r, long delta) {
        if (delta != 0) limiter(r).adjust(key, r, delta);
    }
}
