package dev.arbiter.route;

import dev.arbiter.config.DeploymentConfig;
import dev.arbiter.error.Untrusted;
import dev.arbiter.provider.UpstreamModelList;
import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model ids one pass-through deployment's upstream lists, cached so that listing stays off the request path.
 *
 * <p>A list is fresh for {@link #TTL} (a failed fetch for {@link #FAILED_TTL}, so an upstream started after the
 * gateway shows up soon). A stale list is served at once while one background fetch replaces it. Only a caller that
 * comes before any fetch finished waits, and at most {@link #TIMEOUT} (the catalog starts a fetch when the gateway
 * starts, so normally no one does). A failed fetch yields an empty list and one WARN line per change to failing.
 */
final class UpstreamModels {
    static final Duration TTL = Duration.ofSeconds(60);
    static final Duration FAILED_TTL = Duration.ofSeconds(5);
    static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final Logger log = LoggerFactory.getLogger(UpstreamModels.class);

    private record Snapshot(List<String> ids, long atNanos, boolean failed) {}

    private final DeploymentConfig deployment;
    private final HttpClient client;
    private final LongSupplier nanos;
    private final ReentrantLock first = new ReentrantLock();
    private final AtomicBoolean refreshing = new AtomicBoolean();
    private volatile Snapshot snapshot;

    UpstreamModels(DeploymentConfig deployment, HttpClient client, LongSupplier nanos) {
        this.deployment = deployment;
        this.client = client;
        this.nanos = nanos;
    }

    /** The upstream's model ids, possibly up to a TTL old; empty when it lists none or cannot be read. */
    List<String> ids() {
        Snapshot s = snapshot;
        if (s == null) return firstFetch();
        long age = nanos.getAsLong() - s.atNanos();
        if (age >= (s.failed() ? FAILED_TTL : TTL).toNanos()) refreshInBackground();
        return s.ids();
    }

    /** Reads the list for the first time on a virtual thread; a caller that comes meanwhile waits for it. */
    void warm() {
        Thread.ofVirtual().name("arbiter-models-" + deployment.name()).start(this::ids);
    }

    /** Starts a fetch on a virtual thread unless one is running. */
    void refreshInBackground() {
        if (!refreshing.compareAndSet(false, true)) return;
        Thread.ofVirtual().name("arbiter-models-" + deployment.name()).start(() -> {
            try {
                snapshot = fetch();
            } finally {
                refreshing.set(false);
            }
        });
    }

    private List<String> firstFetch() {
        try {
            if (first.tryLock(TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS)) {
                try {
                    if (snapshot == null) snapshot = fetch();
                } finally {
                    first.unlock();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Snapshot s = snapshot;
        return s == null ? List.of() : s.ids();
    }

    private Snapshot fetch() {
        Snapshot before = snapshot;
        try {
            return new Snapshot(List.copyOf(UpstreamModelList.fetch(client, deployment, TIMEOUT)), nanos.getAsLong(), false);
        } catch (IOException | RuntimeException e) {
            if (before == null || !before.failed()) {
                log.warn("could not list the models of upstream {} ({}); /v1/models shows the configured model name instead",
                        deployment.name(), Untrusted.text(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            }
            return new Snapshot(List.of(), nanos.getAsLong(), true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Snapshot(List.of(), nanos.getAsLong(), true);
        }
    }
}
