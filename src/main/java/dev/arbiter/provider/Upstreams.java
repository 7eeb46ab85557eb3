package dev.arbiter.provider;

import dev.arbiter.config.DeploymentConfig;
import dev.arbiter.pipeline.Watchdog;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's upstream endpoints, one {@link Upstream} per endpoint, created on first use and closed with the
 * gateway. Two deployments are one endpoint when they reach the same scheme, host, port and base path with the same
 * credentials ({@code api-key} and the extra {@code headers}, which may carry credentials) and the same TLS settings:
 * deployments of different models on one server then share its connection pool and, later, its breaker and limits.
 * Also holds the gateway's {@link Watchdog}, which bounds every upstream wait.
 */
public final class Upstreams implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Upstreams.class);

    private final Map<String, Upstream> byId = new ConcurrentHashMap<>();
    private final Watchdog watchdog;
    private volatile boolean closed;

    public Upstreams(Watchdog watchdog) {
        this.watchdog = watchdog;
    }

    /** The watchdog that bounds upstream waits. */
    public Watchdog watchdog() {
        return watchdog;
    }

    /** The endpoint {@code d} calls, created with {@code d}'s client settings if it is the first to call it. */
    public Upstream upstream(DeploymentConfig d) {
        if (closed) throw new IllegalStateException("upstreams closed");
        String id = id(d);
        Upstream u = byId.computeIfAbsent(id, k -> new Upstream(k, "https".equals(d.baseUrl().getScheme()), d.connectTimeout(),
                d.tls() == null ? null : UpstreamTls.context(d.tls())));
        if (!u.connectTimeout().equals(d.connectTimeout())) {
            log.warn("deployment {} sets connect-timeout {}, but shares upstream {} whose client was made with {}: that applies",
                    d.name(), d.connectTimeout(), u.id(), u.connectTimeout());
        }
        return u;
    }

    /** The endpoints made so far. */
    public List<Upstream> all() {
        return List.copyOf(byId.values());
    }

    /**
     * The identity of the endpoint {@code d} calls, as {@link Upstream#id()} says it, without making the endpoint:
     * {@code scheme://host:port/path}, and {@code #} with a hash of the credentials and TLS settings when set.
     */
    public static String id(DeploymentConfig d) {
        URI u = d.baseUrl();
        String scheme = u.getScheme().toLowerCase(java.util.Locale.ROOT);
        int port = u.getPort() != -1 ? u.getPort() : "https".equals(scheme) ? 443 : 80;
        String path = u.getRawPath() == null ? "" : u.getRawPath().replaceAll("/+$", "");
        String endpoint = scheme + "://" + u.getHost().toLowerCase(java.util.Locale.ROOT) + ":" + port + path;
        var identity = new StringBuilder();
        if (d.apiKey() != null && !d.apiKey().isEmpty()) identity.append("key\0").append(d.apiKey().reveal()).append('\0');
        new TreeMap<>(d.headers()).forEach((k, v) -> identity.append("header\0").append(k.toLowerCase(java.util.Locale.ROOT))
                .append('\0').append(v).append('\0'));
        if (d.tls() != null) identity.append("ca-file\0").append(d.tls().caFile().toAbsolutePath().normalize()).append('\0');
        return identity.isEmpty() ? endpoint : endpoint + "#" + hash(identity.toString());
    }

    private static String hash(String s) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Closes every endpoint's connections and threads; nothing can be made afterwards. */
    @Override
    public void close() {
        closed = true;
        for (Upstream u : byId.values()) u.close();
        byId.clear();
    }
}
