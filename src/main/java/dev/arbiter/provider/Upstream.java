package dev.arbiter.provider;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.impl.IdleConnectionEvictor;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.ManagedHttpClientConnectionFactory;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.config.Http1Config;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.pool.PoolConcurrencyPolicy;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One upstream endpoint (see {@link Upstreams} for what makes two deployments one endpoint): its HTTP client and
 * connection pool, shared by every deployment that calls it, and its per-endpoint state under typed {@link Key}s (a
 * breaker, a latency average, an adaptive limit, cooldowns), created on first use and closed with it.
 *
 * <p>Plain-HTTP upstreams (vLLM, llama.cpp, Ollama on the next host) are where the gateway's own cost shows, so they
 * get Apache HttpClient's minimal classic (blocking) client: the whole exchange runs on the request's virtual thread,
 * with no hand-off to other threads. Measured in bench/run.sh against the alternatives: the JDK client hands every
 * exchange between its selector thread, its executor and CompletableFuture stages, and Helidon's WebClient starts a
 * monitor thread on every pooled connection after each call (a 101 ms timed read loop that the next call must stop),
 * which together cost more CPU than the rest of the gateway. The minimal client is the exchange itself, none of the
 * full client's protocol chain (redirects, cookies, authentication, retries, decompression are all off anyway, and
 * that chain re-parsed the request path on every call, measured at an eighth of the gateway's allocation). Pooled
 * connections idle for over a second are checked before reuse, since local servers such as uvicorn close idle
 * keep-alive connections after a few seconds; one that dies sooner is retried on a new connection
 * ({@link UpstreamConnections}). TLS upstreams keep the JDK client for HTTP/2.
 */
public final class Upstream implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Upstream.class);
    /** Upper bound of pooled connections per upstream; the gateway's own in-flight limits bound it first. */
    private static final int MAX_CONNECTIONS = 4096;

    /**
     * A typed key for per-endpoint state, compared by identity: a feature declares one as a constant and gets the
     * same instance for every deployment of the endpoint.
     */
    public static final class Key<T> {
        private final String name;
        private final Class<T> type;

        private Key(String name, Class<T> type) {
            this.name = name;
            this.type = type;
        }

        public static <T> Key<T> of(String name, Class<T> type) {
            return new Key<>(name, Objects.requireNonNull(type));
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private final String id;
    private final Duration connectTimeout;
    private final Map<Key<?>, Object> state = new ConcurrentHashMap<>();
    /** The JDK client, for https; null for plain HTTP. */
    final HttpClient client;
    private final PoolingHttpClientConnectionManager pool;
    private final IdleConnectionEvictor evictor;
    /** The minimal Apache client on the pool, for http; null for https. */
    final CloseableHttpClient plain;
    /** The same pool, always on a new connection: for the one retry after a pooled connection proved dead. */
    final CloseableHttpClient plainFresh;

    Upstream(String id, boolean secure, Duration connectTimeout, SSLContext tls) {
        this.id = id;
        this.connectTimeout = connectTimeout;
        if (secure) {
            this.pool = null;
            this.evictor = null;
            this.plain = null;
            this.plainFresh = null;
            var b = HttpClient.newBuilder()
                    .connectTimeout(connectTimeout)
                    .version(HttpClient.Version.HTTP_2)
                    .followRedirects(HttpClient.Redirect.NEVER);
            if (tls != null) b.sslContext(tls);
            this.client = b.build();
        } else {
            this.client = null;
            this.pool = pool(connectTimeout);
            // a burst opens as many connections as it has calls in flight; those idle for 30 s are closed
            this.evictor = new IdleConnectionEvictor(pool, TimeValue.ofSeconds(30));
            evictor.start();
            var connections = new UpstreamConnections(pool);
            this.plain = HttpClients.createMinimal(connections);
            this.plainFresh = HttpClients.createMinimal(connections.fresh());
        }
    }

    private static PoolingHttpClientConnectionManager pool(Duration connectTimeout) {
        return PoolingHttpClientConnectionManagerBuilder.create()
                .setPoolConcurrencyPolicy(PoolConcurrencyPolicy.LAX)
                // 8 KiB buffers, not the default 32 KiB: a pooled connection costs ~25 KiB of heap instead of ~100
                .setConnectionFactory(ManagedHttpClientConnectionFactory.builder()
                        .http1Config(Http1Config.custom().setBufferSize(8192).build())
                        .build())
                .setMaxConnTotal(MAX_CONNECTIONS)
                .setMaxConnPerRoute(MAX_CONNECTIONS)
                .setDefaultSocketConfig(SocketConfig.custom().setTcpNoDelay(true).build())
                .setDefaultConnectionConfig(ConnectionConfig.custom()
                        .setConnectTimeout(Timeout.of(connectTimeout))
                        .setValidateAfterInactivity(TimeValue.ofSeconds(1))
                        .build())
                .build();
    }

    /**
     * The endpoint's identity: {@code scheme://host:port/path} of the base URL, then {@code #} and a hash of the
     * credentials and TLS settings when there are any (never the credentials themselves).
     */
    public String id() {
        return id;
    }

    /** The connect timeout of the endpoint's client: that of the first deployment that reached it. */
    Duration connectTimeout() {
        return connectTimeout;
    }

    /** The endpoint's state under {@code key}, created by {@code create} on first use (once, even when called concurrently). */
    public <T> T state(Key<T> key, Function<Upstream, T> create) {
        return key.type.cast(state.computeIfAbsent(key, k -> Objects.requireNonNull(create.apply(this), "state " + k)));
    }

    /** The endpoint's state under {@code key}, if it was created. */
    public <T> Optional<T> find(Key<T> key) {
        return Optional.ofNullable(key.type.cast(state.get(key)));
    }

    /** Closes the state that is {@link AutoCloseable}, the pooled connections and the client's threads. */
    @Override
    public void close() {
        for (var e : state.entrySet()) {
            if (e.getValue() instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception ex) {
                    log.warn("upstream {}: closing {} failed: {}", id, e.getKey(), ex.toString());
                }
            }
        }
        state.clear();
        if (evictor != null) {
            evictor.shutdown();
            try {
                evictor.awaitTermination(Timeout.ofSeconds(1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (pool != null) pool.close(CloseMode.IMMEDIATE);
        if (client != null) {
            client.shutdownNow();   // close() would wait for abandoned exchanges
            try {
                client.awaitTermination(Duration.ofSeconds(1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return id;
    }
}
