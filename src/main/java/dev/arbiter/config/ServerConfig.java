package dev.arbiter.config;

import java.time.Duration;

/**
 * The HTTP server: where it listens and the limits every request is held to.
 *
 * @param maxBodyBytes largest request body accepted (413 above)
 * @param maxJsonDepth deepest JSON nesting accepted (400 above)
 * @param maxStringBytes longest single JSON string accepted (400 above)
 * @param requestTimeout total deadline of a request; a client's {@code x-arbiter-timeout} may only shorten it
 * @param drainTimeout how long in-flight requests may run on at shutdown
 * @param keepAliveInterval how often a silent stream gets an SSE keep-alive
 * @param maxConnections most client connections held open at once (0: from the open-file limit)
 * @param headerTimeout longest a request head may take to arrive, from its first byte (from the connection's start
 *                      for its first request); past it the connection is closed (nginx's {@code client_header_timeout})
 * @param bodyIdleTimeout longest a request body may go without a byte; past it the request gets 408 and the connection
 *                        closes (nginx's {@code client_body_timeout})
 * @param idleTimeout longest a kept-alive connection may wait for its next request (nginx's {@code keepalive_timeout})
 */
public record ServerConfig(String host, int port, long maxBodyBytes, int maxJsonDepth, int maxStringBytes,
                           Duration requestTimeout, Duration drainTimeout, Duration keepAliveInterval, int maxConnections,
                           Duration headerTimeout, Duration bodyIdleTimeout, Duration idleTimeout) {
    /**
     * Loopback only unless a host is set: Arbiter holds upstream keys and has no client authentication of its own,
     * so by default it serves only this machine.
     */
    public static final ServerConfig DEFAULT = new ServerConfig("127.0.0.1", 8080, 16L * 1024 * 1024, 64,
            8 * 1024 * 1024, Duration.ofMinutes(10), Duration.ofSeconds(30), Duration.ofSeconds(15), 0,
            Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofSeconds(75));

    /** The {@code server:} block. */
    public static final Section<ServerConfig> SECTION = Section.top("server", DEFAULT, ServerConfig::bind);

    public ServerConfig {
        var checks = new ConfigException.Checks();
        checks.require(host != null && !host.isBlank(), "server.host", host, "a host name or address");
        checks.require(port >= 0 && port <= 65535, "server.port", port, "0..65535");
        checks.require(maxBodyBytes >= 1024, "server.max-body-bytes", maxBodyBytes, ">= 1024");
        checks.require(maxJsonDepth >= 4 && maxJsonDepth <= 1000, "server.max-json-depth", maxJsonDepth, "4..1000");
        checks.require(maxStringBytes >= 1024, "server.max-string-bytes", maxStringBytes, ">= 1024");
        checks.require(positive(requestTimeout), "server.request-timeout", requestTimeout, "a positive duration");
        checks.require(drainTimeout != null && !drainTimeout.isNegative(), "server.drain-timeout", drainTimeout, "a duration >= 0");
        checks.require(positive(keepAliveInterval), "server.keep-alive-interval", keepAliveInterval, "a positive duration");
        checks.require(maxConnections >= 0, "server.max-connections", maxConnections, ">= 0 (0: from the open-file limit)");
        checks.require(positive(headerTimeout), "server.header-timeout", headerTimeout, "a positive duration");
        checks.require(positive(bodyIdleTimeout), "server.body-idle-timeout", bodyIdleTimeout, "a positive duration");
        checks.require(positive(idleTimeout), "server.idle-timeout", idleTimeout, "a positive duration");
        checks.throwIfAny();
    }

    /**
     * The most client connections held open at once; more wait in the listen backlog. Every connection costs a file
     * descriptor, and so does the upstream connection its request may need: when the process runs out of them the
     * server's listener dies, so by default half the open-file limit goes to client connections.
     */
    public int effectiveMaxConnections() {
        if (maxConnections > 0) return maxConnections;
        long files = java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.UnixOperatingSystemMXBean unix ? unix.getMaxFileDescriptorCount() : 20_000;
        return (int) Math.max(64, Math.min(100_000, files / 2 - 64));
    }

    private static ServerConfig bind(ConfigNode n) {
        var d = DEFAULT;
        return new ServerConfig(
                n.string("host", d.host()),
                n.integer("port", d.port()),
                n.longValue("max-body-bytes", d.maxBodyBytes()),
                n.integer("max-json-depth", d.maxJsonDepth()),
                n.integer("max-string-bytes", d.maxStringBytes()),
                n.duration("request-timeout", d.requestTimeout()),
                n.duration("drain-timeout", d.drainTimeout()),
                n.duration("keep-alive-interval", d.keepAliveInterval()),
                n.integer("max-connections", d.maxConnections()),
                n.duration("header-timeout", d.headerTimeout()),
                n.duration("body-idle-timeout", d.bodyIdleTimeout()),
                n.duration("idle-timeout", d.idleTimeout()));
    }

    static boolean positive(Duration d) {
        return d != null && !d.isNegative() && !d.isZero();
    }

    public ServerConfig withHost(String newHost) {
        return new ServerConfig(newHost, port, maxBodyBytes, maxJsonDepth, maxStringBytes, requestTimeout, drainTimeout,
                keepAliveInterval, maxConnections, headerTimeout, bodyIdleTimeout, idleTimeout);
    }

    public ServerConfig withPort(int newPort) {
        return new ServerConfig(host, newPort, maxBodyBytes, maxJsonDepth, maxStringBytes, requestTimeout,
                drainTimeout, keepAliveInterval, maxConnections, headerTimeout, bodyIdleTimeout, idleTimeout);
    }
}
