package dev.arbiter.bench;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * An open-loop load generator. Request i of a phase is due at {@code t0 + i / rate} whatever happened to the
 * ones before it; a scheduler thread starts each on its own virtual thread at (or, when it falls behind,
 * right after) that time, and latency runs from the intended time, so a stall shows up in the latency of
 * every request it delayed instead of being hidden by a client that waits (coordinated omission, after Gil
 * Tene's "How NOT to measure latency" and wrk2).
 *
 * <p>Scenarios run in short alternating phases, round robin, every phase at the full rate, so drift in the
 * machine (other load, frequency, GC, JIT) falls on direct and gateway calls alike. A warm-up of the same
 * shape runs first and is not recorded. A scenario's requests past {@code maxInFlight} are not sent and count as
 * errors, so a stalled gateway cannot starve the direct calls of their budget. The run stops if a watched process
 * (the gateway, the upstream) exits.
 */
public final class LoadGenerator {
    /**
     * @param rate requests per second within a phase, for the scenarios that do not name their own
     * @param duration recorded time per scenario
     * @param warmup unrecorded time per scenario, before recording starts
     * @param phase length of one phase
     */
    public record Plan(double rate, Duration duration, Duration warmup, Duration phase, int maxInFlight) {
        public Plan {
            if (!(rate > 0 && rate <= 100_000)) throw new IllegalArgumentException("rate: " + rate + " (expected: 0 < rate <= 100000)");
            if (duration.isNegative() || duration.isZero()) throw new IllegalArgumentException("duration: " + duration + " (expected: positive)");
            if (warmup.isNegative()) throw new IllegalArgumentException("warmup: " + warmup + " (expected: >= 0)");
            if (phase.toMillis() < 100) throw new IllegalArgumentException("phase: " + phase + " (expected: >= 100ms)");
            if (maxInFlight < 1) throw new IllegalArgumentException("max-in-flight: " + maxInFlight + " (expected: >= 1)");
        }
    }

    private static final Duration DRAIN = Duration.ofSeconds(15);

    private final BenchClient client;
    private final Plan plan;
    private final Consumer<String> progress;
    private final CpuWatch cpu;
    private final ThreadWatch threads;

    public LoadGenerator(BenchClient client, Plan plan, CpuWatch cpu, Consumer<String> progress) {
        this(client, plan, cpu, new ThreadWatch(Map.of()), progress);
    }

    /** With {@code threads}, each scenario is also charged its phases' CPU time and context switches by thread group. */
    public LoadGenerator(BenchClient client, Plan plan, CpuWatch cpu, ThreadWatch threads, Consumer<String> progress) {
        this.client = client;
        this.plan = plan;
        this.cpu = cpu;
        this.threads = threads;
        this.progress = progress;
    }

    /** Warms up, then measures every scenario; returns their stats in the given order. */
    public Report run(List<Scenario> scenarios) throws InterruptedException {
        var calls = new LinkedHashMap<Scenario, BenchClient.Call>();
        for (Scenario s : scenarios) calls.put(s, client.prepare(s));
        long started = System.nanoTime();
        if (!plan.warmup().isZero()) {
            progress.accept("warm-up: " + seconds(plan.warmup()) + " s per scenario, not recorded");
            var scratch = new ArrayList<ScenarioStats>();
            for (Scenario s : scenarios) scratch.add(new ScenarioStats(s, cpu.names().size()));
            rounds(calls, scratch, plan.warmup(), true);
            drain(scratch);
        }
        progress.accept("measuring: " + seconds(plan.duration()) + " s per scenario in " + seconds(plan.phase())
                + " s phases at " + Scenario.rateLabel(plan.rate()) + " req/s unless a scenario names its own");
        var stats = new ArrayList<ScenarioStats>();
        for (Scenario s : scenarios) stats.add(new ScenarioStats(s, cpu.names().size()));
        var alloc = new AllocWatch(scenarios);
        var allocBefore = alloc.read();
        long measuring = System.nanoTime();
        rounds(calls, stats, plan.duration(), false);
        int left = drain(stats);
        if (left > 0) progress.accept("warning: " + left + " requests still in flight after " + DRAIN.toSeconds() + " s");
        var allocation = alloc.between(allocBefore, alloc.read(), stats, Duration.ofNanos(System.nanoTime() - measuring));
        return new Report(plan, client.describe(), cpu, stats, Duration.ofNanos(System.nanoTime() - started)).allocation(allocation);
    }

    /**
     * Runs every scenario's phases in turn. With {@code ramp} (the warm-up), the rate climbs from a tenth of the
     * plan's to all of it over the first half of the rounds: a cold JVM (interpreted code, empty connection pools)
     * hit at full rate from the first second falls behind, opens a connection per late request and can take many
     * seconds to dig out, which is a start-up storm, not the steady state this harness measures.
     */
    private void rounds(Map<Scenario, BenchClient.Call> calls, List<ScenarioStats> stats, Duration perScenario, boolean ramp) {
        long phase = plan.phase().toNanos();
        long total = perScenario.toNanos();
        int rounds = (int) ((total + phase - 1) / phase);
        int rampRounds = ramp ? Math.max(1, rounds / 2) : 0;
        long t0 = System.nanoTime();
        long[] ticks = cpu.read();
        threads.delta();
        for (int r = 0; r < rounds; r++) {
            long length = Math.min(phase, total - (long) r * phase);
            for (ScenarioStats s : stats) {
                double full = s.scenario.rateOr(plan.rate());
                double rate = r < rampRounds ? full * (0.1 + 0.9 * r / rampRounds) : full;
                runPhase(calls.get(s.scenario), s, t0, length, rate);
                t0 += length;
                long[] now = cpu.read();
                s.cpu(CpuWatch.delta(ticks, now));
                s.threads(threads.delta());
                ticks = now;
                cpu.exited().ifPresent(p -> {
                    throw new IllegalStateException(p + " exited during the run");
                });
            }
            if (r % 5 == 4 || r == rounds - 1) progress.accept("  round " + (r + 1) + "/" + rounds);
        }
    }

    private void runPhase(BenchClient.Call call, ScenarioStats stats, long t0, long length, double rate) {
        long count = Math.max(1, Math.round(length * rate / 1e9));
        double interval = 1e9 / rate;
        long last = t0;
        for (long i = 0; i < count; i++) {
            long intended = t0 + Math.round(i * interval);
            for (long wait = intended - System.nanoTime(); wait > 0; wait = intended - System.nanoTime()) {
                LockSupport.parkNanos(wait);
            }
            last = System.nanoTime();
            stats.sent(intended, last);
            if (stats.inFlight.incrementAndGet() > plan.maxInFlight()) {
                stats.inFlight.decrementAndGet();
                stats.error("not sent: over max-in-flight");
                continue;
            }
            Thread.ofVirtual().start(() -> send(call, stats, intended));
        }
        stats.phase(last - t0 + Math.round(interval));
    }

    private void send(BenchClient.Call call, ScenarioStats stats, long intended) {
        try {
            BenchClient.Result r = call.send();
            long end = System.nanoTime();
            if (r.status() != 200) stats.error("HTTP " + r.status());
            else if (!r.expected()) stats.error("200 without '" + stats.scenario.expect() + "'");
            else stats.ok(intended, end, r.firstByteNanos());
        } catch (SocketTimeoutException e) {
            stats.error("timeout");
        } catch (IOException | RuntimeException e) {
            stats.error(e.getClass().getSimpleName() + ": " + e.getMessage());
        } finally {
            stats.inFlight.decrementAndGet();
        }
    }

    private static int drain(List<ScenarioStats> stats) throws InterruptedException {
        long until = System.nanoTime() + DRAIN.toNanos();
        int left = inFlight(stats);
        for (; left > 0 && System.nanoTime() < until; left = inFlight(stats)) Thread.sleep(10);
        return left;
    }

    private static int inFlight(List<ScenarioStats> stats) {
        int n = 0;
        for (ScenarioStats s : stats) n += s.inFlight.get();
        return n;
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? Long.toString(d.toSeconds()) : String.format(java.util.Locale.ROOT, "%.1f", d.toMillis() / 1000.0);
    }
}
