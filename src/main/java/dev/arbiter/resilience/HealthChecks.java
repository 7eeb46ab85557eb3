package dev.arbiter.resilience;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.provider.Deployment;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active health checks of the deployments whose breakers are open, for the breakers that set
 * {@code circuit-breaker.health-check}.
 *
 * <p>Design. When a breaker opens, {@link #opened} starts one virtual thread for its deployment, unless one runs
 * already ({@link Target#running} is the only way in, so there is never more than one per deployment and its probes
 * run one after another). The thread sleeps {@code interval}, then, if the breaker is still {@code OPEN} (not closed,
 * half-open, forced open by an operator or reset meanwhile), sends one probe on a thread of its own, bounded by
 * {@code timeout} (interrupted when that passes: a hanging upstream does not hold the checker). A success moves the
 * breaker to half-open and ends the thread; a failure leaves it open and the thread sleeps again. The thread also ends
 * as soon as the breaker leaves {@code OPEN} by other means, and when the gateway closes ({@link #close} interrupts
 * every thread). Whoever clears {@code running} looks once more at the state, so an opening that came while the last
 * thread was ending is not left unchecked.
 *
 * <p>Why half-open and not closed: a probe shows that the upstream answers, not that it answers this traffic (a model
 * list is served while the model's workers are down; one token is not a long answer). Half-open lets
 * {@code half-open-calls} real calls decide, as after the open time: success closes the breaker, failure opens it
 * again for a longer time. So a health check only cuts the wait, it never trusts a probe more than a call.
 *
 * <p>What Resilience4j lacks, and why this is written by hand: it has no active health checks, only the passive
 * transition after the open time.
 */
final class HealthChecks implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HealthChecks.class);

    /** The last probe of a deployment: when it ended, and what it found. */
    record Probed(Instant at, HealthProbe.Result result) {
    }

    /** One deployment's health check: its breaker, its settings and its prober's state. */
    static final class Target {
        final Deployment deployment;
        final boolean embeddings;
        final CircuitBreaker breaker;
        final HealthCheckConfig config;
        final AtomicBoolean running = new AtomicBoolean();
        final AtomicReference<Probed> last = new AtomicReference<>();
        volatile long probes;
        volatile long failures;

        Target(Deployment deployment, boolean embeddings, CircuitBreaker breaker, HealthCheckConfig config) {
            this.deployment = deployment;
            this.embeddings = embeddings;
            this.breaker = breaker;
            this.config = config;
        }
    }

    private final HealthProbe probe;
    private final InstantSource clock;
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    HealthChecks(HealthProbe probe, InstantSource clock) {
        this.probe = probe;
        this.clock = clock;
    }

    /** {@code t}'s breaker opened: starts its prober unless one runs. */
    void opened(Target t) {
        if (closed || !t.config.enabled() || t.breaker.getState() != CircuitBreaker.State.OPEN) return;
        if (!t.running.compareAndSet(false, true)) return;
        if (closed) {
            t.running.set(false);
            return;
        }
        Thread.ofVirtual().name("arbiter-health-" + t.deployment.model() + "/" + t.deployment.name()).start(() -> run(t));
    }

    private void run(Target t) {
        Thread self = Thread.currentThread();
        threads.add(self);
        try {
            while (!closed && t.breaker.getState() == CircuitBreaker.State.OPEN) {
                Thread.sleep(t.config.interval());
                if (closed || t.breaker.getState() != CircuitBreaker.State.OPEN) break;
                HealthProbe.Result r = bounded(t);
                t.last.set(new Probed(clock.instant(), r));
                t.probes++;
                if (!r.ok()) {
                    t.failures++;
                    log.debug("health check of {}/{}: {}", t.deployment.model(), t.deployment.name(), r.detail());
                    continue;
                }
                if (t.breaker.getState() == CircuitBreaker.State.OPEN) {
                    try {
                        t.breaker.transitionToHalfOpenState();
                        log.info("health check of {}/{}: {}; breaker OPEN -> HALF_OPEN before its open time ended",
                                t.deployment.model(), t.deployment.name(), r.detail());
                    } catch (RuntimeException raced) {
                        // a call moved it meanwhile (its open time ended, or it was reset): nothing left to do
                    }
                }
                break;
            }
        } catch (InterruptedException e) {
            // the gateway is closing
        } finally {
            threads.remove(self);
            t.running.set(false);
        }
        opened(t);   // an opening that came while this thread was ending
    }

    /** One probe on a thread of its own, abandoned (interrupted) once {@code timeout} passes. */
    private HealthProbe.Result bounded(Target t) throws InterruptedException {
        var result = new AtomicReference<HealthProbe.Result>();
        Thread worker = Thread.ofVirtual().name("arbiter-health-probe-" + t.deployment.name()).start(() -> {
            try {
                result.set(probe.probe(t.deployment, t.embeddings, t.config));
            } catch (InterruptedException e) {
                // timed out or closing
            } catch (RuntimeException e) {
                result.set(new HealthProbe.Result(false, "failed (" + e.getClass().getSimpleName() + ")"));
            }
        });
        threads.add(worker);
        try {
            if (!worker.join(t.config.timeout())) {
                worker.interrupt();
                return new HealthProbe.Result(false, t.config.probe().label() + ": no answer within " + t.config.timeout().toMillis() + " ms");
            }
        } catch (InterruptedException e) {
            worker.interrupt();
            throw e;
        } finally {
            threads.remove(worker);
        }
        HealthProbe.Result r = result.get();
        return r == null ? new HealthProbe.Result(false, "interrupted") : r;
    }

    /** The health check's settings and its last probe, for {@code GET /admin/breakers}. */
    static void view(Target t, ObjectNode into) {
        ObjectNode n = into.putObject("health_check");
        n.put("probe", t.config.probe().label());
        n.put("interval_ms", t.config.interval().toMillis());
        n.put("timeout_ms", t.config.timeout().toMillis());
        n.put("probing", t.running.get());
        n.put("probes", t.probes);
        n.put("failed_probes", t.failures);
        Probed p = t.last.get();
        if (p != null) {
            n.put("last_probe_at", p.at().toString());
            n.put("last_probe_ok", p.result().ok());
            n.put("last_probe", p.result().detail());
        }
    }

    /** Stops every prober; none starts again. */
    @Override
    public void close() {
        closed = true;
        for (Thread th : threads) th.interrupt();
        if (probe instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                log.debug("closing the health probe failed: {}", e.toString());
            }
        }
    }
}
