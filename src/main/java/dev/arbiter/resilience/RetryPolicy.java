package dev.arbiter.resilience;

import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.config.ModelConfig;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.pipeline.Trace;
import dev.arbiter.provider.Deployment;
import dev.arbiter.route.AttemptPolicy;
import dev.arbiter.route.Plan;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.function.Function;

/**
 * Retries and fallbacks as one rule over the plan (the model's own deployments, ranked, then each fallback model's),
 * pure apart from its injected random source.
 *
 * <p>After a failure the {@link FailureClass} decides whether anything may follow; {@code max-attempts} of the
 * requested model bounds the attempts in all. The next candidate is the first after the failed one, in plan order
 * and wrapping round, that may take it: a deployment not yet tried is tried at once (so a failure moves to the next
 * deployment, then to the fallbacks, without waiting); one already tried waits the backoff, jittered. A deployment
 * that answered 429 with {@code Retry-After} (or {@code retry-after-ms}) is tried again only after that wait, and
 * not at all when it asked for more than {@code max-delay}: that wait is the caller's to make, and the caller gets
 * the hint. No wait reaches the deadline: a candidate that would need one is passed over. A context-length refusal
 * goes only to a candidate of another model not yet tried (with a larger {@code context-window} when both are
 * known). Each candidate's state counts too: one whose endpoint is cooling down after a 429 (any request's) or whose
 * circuit is open waits that long, and is passed over when that is longer than {@code max-delay}; the candidate
 * free soonest is chosen, at once when one is free, so a free deployment is used at once while a cooling one waits.
 */
public final class RetryPolicy implements AttemptPolicy {
    private static final GiveUp GIVE_UP = new GiveUp();

    private final Map<String, RetryConfig> byModel;
    private final DoubleSupplier random;
    private final Function<Deployment, Duration> unavailable;

    /**
     * @param byModel each model's settings, by model name; a model not listed has {@link RetryConfig#DEFAULT}
     * @param random uniform in [0, 1), for the jitter
     */
    public RetryPolicy(Map<String, RetryConfig> byModel, DoubleSupplier random) {
        this(byModel, random, d -> Duration.ZERO);
    }

    /**
     * @param unavailable how long until a deployment may be called (its endpoint's 429 cooldown, its open circuit's
     *     time left; {@link dev.arbiter.route.DeploymentHealth#unavailableFor}), read as deployment state, not I/O
     */
    public RetryPolicy(Map<String, RetryConfig> byModel, DoubleSupplier random, Function<Deployment, Duration> unavailable) {
        this.byModel = Map.copyOf(byModel);
        this.random = random;
        this.unavailable = unavailable;
    }

    /** The policy of a configuration: each model's {@code retry}, jittered by a thread-local random. */
    public static RetryPolicy of(ArbiterConfig config) {
        return of(config, d -> Duration.ZERO);
    }

    /** The same, reading each deployment's state from {@code unavailable}. */
    public static RetryPolicy of(ArbiterConfig config, Function<Deployment, Duration> unavailable) {
        var byModel = new HashMap<String, RetryConfig>();
        for (ModelConfig m : config.models()) byModel.put(m.name(), m.section(RetryConfig.SECTION));
        return new RetryPolicy(byModel, () -> ThreadLocalRandom.current().nextDouble(), unavailable);
    }

    /** Held when another attempt may follow: with {@code max-attempts: 1} the client's headers go out at once. */
    @Override
    public boolean holdStreams(Plan plan) {
        return byModel.getOrDefault(plan.model().name(), RetryConfig.DEFAULT).maxAttempts() > 1;
    }

    @Override
    public Next afterFailure(Plan plan, List<Trace.AttemptRecord> attempts, ArbiterException failure, Duration remaining) {
        RetryConfig cfg = byModel.getOrDefault(plan.model().name(), RetryConfig.DEFAULT);
        if (attempts.size() >= cfg.maxAttempts()) return GIVE_UP;
        FailureClass kind = FailureClass.of(failure);
        if (kind == FailureClass.FINAL) return GIVE_UP;
        List<Deployment> candidates = plan.candidates();
        int failed = attempts.isEmpty() ? 0 : Math.max(0, indexOf(candidates, attempts.getLast()));
        Deployment failedOn = candidates.get(failed);
        Duration retryAfter = failure instanceof ArbiterException.Upstream u ? u.retryAfter() : null;
        boolean sameAgain = kind == FailureClass.TRANSIENT && (retryAfter == null || retryAfter.compareTo(cfg.maxDelay()) <= 0);
        Retry best = null;
        for (int step = 1; step <= candidates.size(); step++) {
            int i = (failed + step) % candidates.size();
            Deployment d = candidates.get(i);
            boolean tried = tried(d, attempts);
            if (i == failed && !sameAgain) continue;
            if (kind == FailureClass.CONTEXT_LENGTH && (tried || !larger(d, failedOn))) continue;
            Duration busy = unavailable.apply(d);
            if (busy.compareTo(cfg.maxDelay()) > 0) continue;   // cooling down or open for longer than any wait made here
            Duration delay = tried ? cfg.delay(attempts.size(), random.getAsDouble()) : Duration.ZERO;
            if (i == failed && retryAfter != null && retryAfter.compareTo(delay) > 0) delay = retryAfter;
            if (busy.compareTo(delay) > 0) delay = busy;
            if (delay.compareTo(remaining) >= 0) continue;
            if (delay.isZero()) return new Retry(d, delay);
            if (best == null || delay.compareTo(best.delay()) < 0) best = new Retry(d, delay);
        }
        return best == null ? GIVE_UP : best;
    }

    /** Whether {@code d} may take a prompt too long for {@code failed}: a larger known window, or else another model. */
    private static boolean larger(Deployment d, Deployment failed) {
        Integer mine = d.config().contextWindow();
        Integer theirs = failed.config().contextWindow();
        if (mine != null && theirs != null) return mine > theirs;
        return !d.model().equals(failed.model());
    }

    private static boolean tried(Deployment d, List<Trace.AttemptRecord> attempts) {
        for (Trace.AttemptRecord a : attempts) if (is(d, a)) return true;
        return false;
    }

    private static int indexOf(List<Deployment> candidates, Trace.AttemptRecord a) {
        for (int i = 0; i < candidates.size(); i++) if (is(candidates.get(i), a)) return i;
        return -1;
    }

    private static boolean is(Deployment d, Trace.AttemptRecord a) {
        return d.model().equals(a.model()) && d.name().equals(a.deployment());
    }
}
