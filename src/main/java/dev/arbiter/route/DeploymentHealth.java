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

    /**
     * {@code ranked} with the deployments that may be called now first, each group in its own order: a cooling or
     * open deployment is tried only when nothing else is left (the same list when all are free, the common case).
     */
    public List<Deployment> freeFirst(List<Deployment> ranked) {
        List<Deployment> busy = null;
        List<Deployment> free = null;
        for (int i = 0; i < ranked.size(); i++) {
            Deployment d = ranked.get(i);
            boolean ok = unavailableFor(d).isZero();
            if (!ok && busy == null) {
                busy = new ArrayList<>();
                free = new ArrayList<>(ranked.subList(0, i));
            }
            if (busy == null) continue;
            (ok ? free : busy).add(d);
        }
        if (busy == null) return ranked;
        free.addAll(busy);
        return free;
    }
}
