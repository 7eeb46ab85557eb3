package dev.arbiter.route;

import dev.arbiter.error.ArbiterException;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.provider.Deployment;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Hedged requests ("The Tail at Scale", Dean and Barroso, 2013): the first attempt runs on a virtual thread of its
 * own; when it has not answered (a stream: sent its first event with substance) within the model's
 * {@link HedgeConfig#after()} (or its deployment's observed p95), a second attempt goes to another free deployment of
 * the model, and the first answer to succeed wins. The other is cancelled: its thread is interrupted (a virtual
 * thread blocked on a socket has the socket closed under it) and a stream it returned after losing is closed. A
 * cancelled attempt counts for nothing in its breaker.
 *
 * <p>The budget is a token bucket per model, in the manner of Finagle's retry budget: every request that could be
 * hedged deposits {@code budget} tokens (0.05 for 5%), a hedge withdraws one, and the bucket holds at most
 * {@link #MAX_TOKENS}, so hedges stay within the budget's share of requests over any stretch longer than a burst.
 * Written by hand: Resilience4j has no hedging for synchronous calls.
 */
public final class Hedger {
    /** The most tokens a model's bucket saves up: the largest burst of hedges. */
    static final double MAX_TOKENS = 5;
    /** The shortest delay a p95 may give, so a fast deployment's hedges do not double every call. */
    static final Duration MIN_DELAY = Duration.ofMillis(10);

    /** Runs one attempt at a deployment; {@code lost} turns true once the other attempt won. */
    @FunctionalInterface
    interface Attempt {
        Reply run(Deployment d, BooleanSupplier lost);
    }

    /** Which deployment answered, and whether a hedge was sent and won or lost. */
    record Outcome(Deployment deployment, Reply reply, String hedge) {}

    private final Map<String, HedgeConfig> byModel;
    private final DeploymentHealth health;
    private final DeploymentLoad load;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final MeterRegistry metrics;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    public Hedger(Map<String, HedgeConfig> byModel, DeploymentHealth health, DeploymentLoad load, MeterRegistry metrics) {
        this.byModel = Map.copyOf(byModel);
        this.health = health;
        this.load = load;
        this.metrics = metrics;
    }

    /** Each model's {@code hedge} of {@code config}. */
    public static Hedger of(dev.arbiter.config.ArbiterConfig config, DeploymentHealth health, DeploymentLoad load,
                            MeterRegistry metrics) {
        var byModel = new java.util.HashMap<String, HedgeConfig>();
        for (var m : config.models()) {
            HedgeConfig h = m.section(HedgeConfig.SECTION);
            if (h.enabled()) byModel.put(m.name(), h);
        }
        return new Hedger(byModel, health, load, metrics);
    }

    /** Hedges nothing. */
    public static final Hedger NONE = new Hedger(Map.of(), DeploymentHealth.NONE, null, null);

    /** Whether {@code model}'s first attempts are hedged. */
    boolean hedges(String model) {
        return byModel.containsKey(model);
    }

    private static final class Bucket {
        private double tokens = 1;

        synchronized void deposit(double amount) {
            tokens = Math.min(MAX_TOKENS, tokens + amount);
        }

        synchronized boolean take() {
            if (tokens < 1) return false;
            tokens -= 1;
            return true;
        }
    }

    /** The delay before hedging an attempt at {@code d}, or null when it is not hedged. */
    private Duration delay(HedgeConfig cfg, Deployment d) {
        if (!cfg.p95()) return cfg.after();
        long p95 = load.p95Nanos(d);
        if (p95 < 0) return null;
        return Duration.ofNanos(Math.max(p95, MIN_DELAY.toNanos()));
    }

    /** Another deployment of the same model that may be called now, in plan order. */
    private Deployment other(Plan plan, Deployment d) {
        for (Deployment c : plan.candidates()) {
            if (c != d && c.model().equals(d.model()) && health.unavailableFor(c).isZero()) return c;
        }
        return null;
    }

    /**
     * The first attempt of a request at {@code d}, hedged when its model says so; otherwise just {@code attempt}.
     *
     * @throws ArbiterException the primary's failure when every attempt made failed
     */
    Outcome first(Plan plan, Deployment d, Exchange exchange, Attempt attempt) {
        HedgeConfig cfg = byModel.get(d.model());
        if (cfg == null || plan.isFallback(d)) return new Outcome(d, attempt.run(d, () -> false), null);
        Bucket bucket = buckets.computeIfAbsent(d.model(), k -> new Bucket());
        bucket.deposit(cfg.budget());
        Duration after = delay(cfg, d);
        if (after == null || other(plan, d) == null) return new Outcome(d, attempt.run(d, () -> false), null);

        BlockingQueue<Result> results = new ArrayBlockingQueue<>(2);
        Racer primary = new Racer(d, attempt, results);
        primary.start();
        Racer hedge = null;
        Result r;
        try {
            r = results.poll(Math.min(after.toNanos(), exchange.deadline().remaining().toNanos()), TimeUnit.NANOSECONDS);
            if (r != null) return r.outcome(null);
            Deployment h = other(plan, d);
            if (h == null || !bucket.take()) {
                r = await(results, exchange, primary, null);
                return r.outcome(null);
            }
            hedge = new Racer(h, attempt, results);
            hedge.start();
            count(d.model(), "sent");
            r = await(results, exchange, primary, hedge);
            if (r.failure() != null) {
                Result second = await(results, exchange, primary, hedge);
                if (second.failure() != null) throw r.racer() == primary ? r.failure() : second.failure();
                r = second;
            }
            Racer loser = r.racer() == primary ? hedge : primary;
            loser.lose();
            results.forEach(Result::discard);
            String outcome = r.racer() == hedge ? "won" : "lost";
            count(d.model(), outcome);
            return r.outcome(outcome);
        } catch (InterruptedException e) {
            primary.lose();
            if (hedge != null) hedge.lose();
            Thread.currentThread().interrupt();
            throw new ArbiterException.Upstream(0, "request cancelled while its attempts ran", "cancelled", null);
        }
    }

    private static Result await(BlockingQueue<Result> results, Exchange exchange, Racer primary, Racer hedge)
            throws InterruptedException {
        Result r = results.poll(Math.max(0, exchange.deadline().remaining().toNanos()), TimeUnit.NANOSECONDS);
        if (r != null) return r;
        primary.lose();
        if (hedge != null) hedge.lose();
        throw new ArbiterException.DeadlineExceeded("request deadline exceeded while waiting for the upstream");
    }

    private void count(String model, String outcome) {
        if (metrics == null) return;
        counters.computeIfAbsent(model + "\0" + outcome, k -> Counter.builder("arbiter.hedges")
                .description("Hedged requests: sent, and whether the hedge won (answered first) or lost")
                .tags("model", model, "outcome", outcome).register(metrics)).increment();
    }

    /** One attempt's end: its reply or its failure. */
    private record Result(Racer racer, Reply reply, ArbiterException failure) {
        Outcome outcome(String hedge) {
            if (failure != null) throw failure;
            return new Outcome(racer.deployment, reply, hedge);
        }

        void discard() {
            if (reply instanceof Reply.Streaming s) s.stream().close();
        }
    }

    /** One attempt on its own virtual thread. */
    private static final class Racer {
        private final Deployment deployment;
        private final Attempt attempt;
        private final BlockingQueue<Result> results;
        private volatile boolean lost;
        private Thread thread;

        Racer(Deployment deployment, Attempt attempt, BlockingQueue<Result> results) {
            this.deployment = deployment;
            this.attempt = attempt;
            this.results = results;
        }

        void start() {
            thread = Thread.ofVirtual().name("arbiter-attempt-" + deployment.name()).start(this::run);
        }

        private void run() {
            Result r;
            try {
                r = new Result(this, attempt.run(deployment, () -> lost), null);
            } catch (ArbiterException e) {
                r = new Result(this, null, e);
            } catch (RuntimeException e) {
                r = new Result(this, null, new ArbiterException.Internal("attempt failed: " + e));
            }
            synchronized (this) {
                if (lost) {
                    r.discard();
                    return;
                }
                results.offer(r);
            }
        }

        /** Cancels the attempt: interrupts it while it runs, closes what it returns afterwards. */
        void lose() {
            synchronized (this) {
                lost = true;
            }
            thread.interrupt();
        }
    }
}
