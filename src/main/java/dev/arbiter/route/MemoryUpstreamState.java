package dev.arbiter.route;

import dev.arbiter.provider.Deployment;
import dev.arbiter.provider.Upstream;
import dev.arbiter.provider.Upstreams;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * {@link UpstreamState} in this gateway's memory. A deployment with a {@code base-url} keeps its cooldown in its
 * {@link Upstream}'s state slot, so every deployment (of any model) on that endpoint sees it; one without (the
 * in-process mock) has a slot of its own. The slot of each deployment is looked up once: finding an endpoint hashes
 * its credentials, too slow for every request.
 */
public final class MemoryUpstreamState implements UpstreamState {
    /** A cooldown: the {@code nanos} time until which the endpoint is to be left alone. */
    static final class Cooldown {
        final AtomicLong until = new AtomicLong(Long.MIN_VALUE);
    }

    private static final Upstream.Key<Cooldown> COOLDOWN = Upstream.Key.of("cooldown", Cooldown.class);

    private final Upstreams upstreams;
    private final LongSupplier nanos;
    private final Map<String, Cooldown> byDeployment = new ConcurrentHashMap<>();

    /**
     * @param upstreams the gateway's endpoints, or null to keep every deployment's cooldown apart (tests)
     * @param nanos the clock
     */
    public MemoryUpstreamState(Upstreams upstreams, LongSupplier nanos) {
        this.upstreams = upstreams;
        this.nanos = nanos;
    }

    private Cooldown slot(Deployment d) {
        return byDeployment.computeIfAbsent(d.model() + "/" + d.name(), k -> upstreams == null || d.config().baseUrl() == null
                ? new Cooldown() : upstreams.upstream(d.config()).state(COOLDOWN, u -> new Cooldown()));
    }

    @Override
    public void coolDown(Deployment d, Duration wait) {
        if (wait == null || wait.isNegative() || wait.isZero()) return;
        long until = nanos.getAsLong() + Math.min(wait.toNanos(), MAX_COOLDOWN.toNanos());
        slot(d).until.accumulateAndGet(until, Math::max);
    }

    @Override
    public Duration cooldown(Deployment d) {
        long until = slot(d).until.get();
        if (until == Long.MIN_VALUE) return Duration.ZERO;
        long left = until - nanos.getAsLong();
        return left > 0 ? Duration.ofNanos(left) : Duration.ZERO;
    }
}
