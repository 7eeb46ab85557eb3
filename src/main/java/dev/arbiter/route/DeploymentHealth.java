package dev.arbiter.route;

import dev.arbiter.provider.Deployment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether a deployment may be called now, as routing and the retry rule see it: not while its endpoint is cooling
 * down after a 429 ({@link UpstreamState}), nor while its circuit is open ({@link CircuitGate}).
 */
public final class DeploymentHealth {
    /** Every deployment always free. */
    public static final DeploymentHealth NONE = new DeploymentHealth(UpstreamState.NONE, CircuitGate.NONE);

    private final UpstreamState upstreams;
    private final CircuitGate breakers;

    public DeploymentHealth(UpstreamState upstreams, CircuitGate breakers) {
        this.upstreams = upstreams;
        this.breakers = breakers;
    }

    /** The shared per-endpoint state (cooldowns). */
    public UpstreamState upstreams() {
        return upstreams;
    }

    /** How long until {@code d} may be called: the longer of its cooldown and its open circuit's time left. */
    public Duration unavailableFor(Deployment d) {
        Duration cooldown = upstreams.cooldown(d);
        Duration open = breakers.openFor(d);
        return cooldown.compareTo(open) >= 0 ? cooldown : open;
    }

    /** Whether every slot of {@code d}'s own in-flight limit (fixed or adaptive) is taken: a new attempt would wait. */
    public static boolean saturated(Deployment d) {
        return d.limiter() != null && d.limiter().full();
    }

    /**
     * {@code ranked} with the deployments that may be called now first, then those at their in-flight limit (an
     * attempt there waits in its queue), then those cooling down or open, each group in its own order: a busy
     * deployment is waited for only when no free one is left, a cooling or open one tried only when nothing else is
     * (the same list when all are free, the common case).
     */
    public List<Deployment> freeFirst(List<Deployment> ranked) {
        List<Deployment> free = null;
        List<Deployment> full = null;
        List<Deployment> busy = null;
        for (int i = 0; i < ranked.size(); i++) {
            Deployment d = ranked.get(i);
            boolean ok = unavailableFor(d).isZero();
            boolean waits = ok && saturated(d);
            if ((!ok || waits) && free == null) {
                free = new ArrayList<>(ranked.subList(0, i));
                full = new ArrayList<>();
                busy = new ArrayList<>();
            }
            if (free == null) continue;
            (!ok ? busy : waits ? full : free).add(d);
        }
        if (free == null) return ranked;
        free.addAll(full);
        free.addAll(busy);
        return free;
    }
}
