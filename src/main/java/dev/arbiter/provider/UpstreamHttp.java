package dev.arbiter.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.wire.Bodies;
import dev.arbiter.wire.Json;
import dev.arbiter.config.DeploymentConfig;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.pipeline.Deadline;
import dev.arbiter.pipeline.Watchdog;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.IdleConnectionEvictor;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.ManagedHttpClientConnectionFactory;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.config.Http1Config;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.pool.PoolConcurrencyPolicy;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP to one upstream (Apache HttpClient for plain HTTP, the JDK client for TLS): JSON in, JSON or an SSE byte
 * stream out, every call bounded by the request's deadline and the deployment's timeout, and cancellable; answers
 * bounded by the deployment's {@code max-response-bytes} and {@code max-event-bytes}. Upstream error bodies are
 * logged (with every configured secret and anything that looks like a key masked) and summarised for the caller,
 * never echoed whole. A plain-HTTP request that a pooled connection's upstream had silently closed is sent once more
 * on a new connection (see {@link UpstreamConnections}).
 */
public final class UpstreamHttp implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(UpstreamHttp.class);
    private static final int MAX_ERROR_BODY = 64 * 1024;
    private static final ContentType JSON = ContentType.create("application/json");
    /** Upper bound of pooled connections per upstream; the gateway's own in-flight limits bound it first. */
    private static final int MAX_CONNECTIONS = 4096;

    private final HttpClient client;
    private final PoolingHttpClientConnectionManager pool;
    private final IdleConnectionEvictor evictor;
    private final CloseableHttpClient plain;
    /** The same pool, always on a new connection: for the one retry after a pooled connection proved dead. */
    private final CloseableHttpClient plainFresh;
    private final String label;
    private final int maxResponseBytes;
    private final int maxEventBytes;
    private final UpstreamErrors errors;

    /**
     * @param config the deployment: its name (used in messages to callers and logs), base URL, connect timeout,
     *     TLS settings and answer bounds
     * @param secrets the gateway's secrets, masked in any upstream text logged or passed on
     */
    public UpstreamHttp(DeploymentConfig config, SecretMask secrets) {
        this.label = config.name();
        this.maxResponseBytes = config.maxResponseBytes();
        this.maxEventBytes = config.maxEventBytes();
        this.errors = new UpstreamErrors(label, secrets);
        boolean secure = "https".equals(config.baseUrl().getScheme());
        Duration connectTimeout = config.connectTimeout();
        // Plain-HTTP upstreams (vLLM, llama.cpp, Ollama on the next host) are where the gateway's own cost shows, so
        // they get Apache HttpClient's classic (blocking) client: the whole exchange runs on the request's virtual
        // thread, with no hand-off to other threads. Measured in bench/run.sh against the alternatives: the JDK
        // client hands every exchange between its selector thread, its executor and CompletableFuture stages, and
        // Helidon's WebClient starts a monitor thread on every pooled connection after each call (a 101 ms timed
        // read loop that the next call must stop), which together cost more CPU than the rest of the gateway.
        // Pooled connections idle for over a second are checked before reuse, since local servers such as uvicorn
        // close idle keep-alive connections after a few seconds; one that dies sooner is retried on a new connection
        // (UpstreamConnections). TLS upstreams keep the JDK client for HTTP/2.
        // The minimal client: the exchange itself, none of the full client's protocol chain (redirects, cookies,
        // authentication, retries, decompression are all off anyway, and that chain re-parsed the request path on
        // every call, measured at an eighth of the gateway's allocation).
        if (secure) {
            this.pool = null;
            this.evictor = null;
            this.plain = null;
            this.plainFresh = null;
            var b = HttpClient.newBuilder()
                    .connectTimeout(connectTimeout)
                    .version(HttpClient.Version.HTTP_2)
                    .followRedirects(HttpClient.Redirect.NEVER);
            if (config.tls() != null) b.sslContext(UpstreamTls.context(config.tls()));
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
        var pool = PoolingHttpClientConnectionManagerBuilder.create()
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
        return pool;
    }

    /** Closes the pooled connections; for the gateway's shutdown. */
    @Override
    public void close() {
        if (evictor != null) evictor.shutdown();
        if (pool != null) pool.close(org.apache.hc.core5.io.CloseMode.IMMEDIATE);
        if (client != null) client.shutdownNow();   // close() would wait for abandoned exchanges
    }

    /**
     * An upstream's answer whose body has not been read yet; closing {@code closer} abandons the exchange. The retry
     * headers are null when absent.
     */
    private record Answer(int status, String retryAfter, String retryAfterMs, String contentType, long contentLength,
                          InputStream body, AutoCloseable closer) {}

    private Answer send(URI uri, Map<String, String> headers, byte[] body, Duration limit, Deadline deadline, boolean stream) {
        if (limit.isNegative() || limit.isZero()) {
            throw new ArbiterException.DeadlineExceeded("request deadline exceeded before the upstream call");
        }
        String accept = stream ? "text/event-stream" : "application/json";
        if (plain != null) {
            HttpHost host = new HttpHost(uri.getScheme(), uri.getHost(), uri.getPort());
            HttpUriRequestBase req = request(uri, headers, body, limit, accept);
            try {
                return open(plain, host, req, deadline);
            } catch (UpstreamConnections.StaleConnection stale) {
                if (req.isCancelled() || deadline.passed()) throw transport(stale.getCause(), deadline);
                // nothing of an answer arrived on a connection the upstream had closed: it never saw this request
                log.debug("upstream {}: {}; sending again on a new connection", label, stale.getMessage());
                try {
                    return open(plainFresh, host, request(uri, headers, body, limit, accept), deadline);
                } catch (UpstreamConnections.StaleConnection impossible) {
                    throw transport(impossible.getCause(), deadline);   // a new connection is never reused
                }
            }
        }
        var b = HttpRequest.newBuilder(uri).timeout(limit).header("accept", accept);
        if (body != null) b.header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body));
        else b.GET();
        headers.forEach(b::header);
        HttpResponse<InputStream> res = await(client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofInputStream()), limit, deadline);
        var h = res.headers();
        return new Answer(res.statusCode(), h.firstValue("retry-after").orElse(null), h.firstValue("retry-after-ms").orElse(null),
                h.firstValue("content-type").orElse(""), h.firstValueAsLong("content-length").orElse(-1), res.body(), res.body());
    }

    private static HttpUriRequestBase request(URI uri, Map<String, String> headers, byte[] body, Duration limit, String accept) {
        HttpUriRequestBase req = body == null ? new HttpGet(uri) : new HttpPost(uri);
        req.setConfig(RequestConfig.custom().setResponseTimeout(Timeout.of(limit)).build());
        req.setHeader("accept", accept);
        req.setHeader("user-agent", "arbiter");
        headers.forEach(req::setHeader);
        if (body != null) req.setEntity(new ByteArrayEntity(body, JSON));
        return req;
    }

    /** Runs one plain-HTTP exchange up to the answer's head; a reused connection found dead comes out as such. */
    private Answer open(CloseableHttpClient http, HttpHost host, HttpUriRequestBase req, Deadline deadline)
            throws UpstreamConnections.StaleConnection {
        // the socket timeout bounds each read, not the whole wait: an upstream trickling its status line and
        // headers would outlast the deadline without this
        try (var guard = Watchdog.shared().arm(deadline, req::cancel)) {
            ClassicHttpResponse res = http.executeOpen(host, req, null);
            HttpEntity entity = res.getEntity();
            Header type = res.getFirstHeader("content-type");
            // cancel() drops the connection unless the body was read to its end, which already returned it to
            // the pool; it is safe from any thread, so a deadline timer or a client disconnect can abort a read
            return new Answer(res.getCode(), value(res.getFirstHeader("retry-after")), value(res.getFirstHeader("retry-after-ms")),
                    type == null ? "" : type.getValue(), entity == null ? 0 : entity.getContentLength(),
                    entity == null ? InputStream.nullInputStream() : entity.getContent(),
                    () -> {
                        req.cancel();
                        res.close();
                    });
        } catch (UpstreamConnections.StaleConnection e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw transport(e, deadline);
        }
    }

    private static String value(Header h) {
        return h == null ? null : h.getValue();
    }

    /** Reads a whole (non-streamed) answer, giving up at the deadline. */
    private byte[] readAll(Answer a, Deadline deadline, int max) {
        try (var timer = Watchdog.shared().arm(deadline, () -> closeQuietly(a.closer()));
             InputStream in = a.body()) {
            return Bodies.read(in, a.contentLength(), max);
        } catch (IOException | RuntimeException e) {
            if (deadline.passed()) throw timeout(deadline);
            throw transport(e, deadline);
        } finally {
            closeQuietly(a.closer());
        }
    }

    static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // the exchange is abandoned either way
        }
    }

    private ObjectNode complete(Answer a, Deadline deadline) {
        if (a.status() >= 400) throw upstreamError(a, readAll(a, deadline, MAX_ERROR_BODY));
        if (a.contentLength() > maxResponseBytes) {
            closeQuietly(a.closer());
            throw tooLarge("an answer of " + a.contentLength() + " bytes");
        }
        // one byte past the bound tells a body over it from one that fills it exactly
        byte[] bytes = readAll(a, deadline, maxResponseBytes + 1);
        if (bytes.length > maxResponseBytes) throw tooLarge("an answer of more than " + maxResponseBytes + " bytes");
        return parseObject(bytes);
    }

    private ArbiterException tooLarge(String what) {
        log.warn("upstream {} sent {}, over its max-response-bytes", label, what);
        return new ArbiterException.Upstream(502, "upstream " + label + " sent " + what + ", more than Arbiter accepts "
                + "(max-response-bytes: " + maxResponseBytes + ")", "upstream_response_too_large", null);
    }

    private ArbiterException upstreamError(Answer a, byte[] body) {
        return errors.upstreamError(a.status(), a.retryAfter(), a.retryAfterMs(), body);
    }

    /** POSTs JSON and returns the parsed JSON answer, or throws the mapped upstream error. */
    public ObjectNode postJson(URI uri, Map<String, String> headers, JsonNode body, Deadline deadline, Duration timeout) {
        return complete(send(uri, headers, Json.bytes(body), deadline.cap(timeout), deadline, false), deadline);
    }

    /** GETs JSON (model lists, stored objects). */
    public ObjectNode getJson(URI uri, Map<String, String> headers, Deadline deadline, Duration timeout) {
        return complete(send(uri, headers, null, deadline.cap(timeout), deadline, false), deadline);
    }

    /**
     * POSTs JSON and returns the body as a stream once the upstream answered with a success status. The
     * returned stream closes itself at the deadline; closing it cancels the upstream call.
     */
    OpenStream postStream(URI uri, Map<String, String> headers, JsonNode body, Deadline deadline, Duration timeout) {
        Answer a = send(uri, headers, Json.bytes(body), deadline.cap(timeout), deadline, true);
        if (a.status() >= 400) throw upstreamError(a, readAll(a, deadline, MAX_ERROR_BODY));
        if (!a.contentType().startsWith("text/event-stream")) {
            byte[] got = readAll(a, deadline, MAX_ERROR_BODY);
            log.warn("upstream {} answered a stream request with content-type '{}': {}", label,
                    dev.arbiter.error.Untrusted.text(a.contentType()), errors.forLog(got));
            throw new ArbiterException.Upstream(502, "upstream " + label + " did not answer with an event stream",
                    "upstream_bad_response", null);
        }
        return new OpenStream(a.body(), a.closer(), deadline, label, maxEventBytes, errors);
    }

    private <T> HttpResponse<T> await(CompletableFuture<HttpResponse<T>> f, Duration limit, Deadline deadline) {
        try {
            return f.get(limit.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw timeout(deadline);
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new ArbiterException.Upstream(0, "call to upstream " + label + " was cancelled", "cancelled", null);
        } catch (CancellationException e) {
            throw new ArbiterException.Upstream(0, "call to upstream " + label + " was cancelled", "cancelled", null);
        } catch (ExecutionException e) {
            throw transport(e.getCause(), deadline);
        }
    }

    private ArbiterException timeout(Deadline deadline) {
        return deadline.passed()
                ? new ArbiterException.DeadlineExceeded("request deadline exceeded waiting for upstream " + label)
                : new ArbiterException.Upstream(504, "upstream " + label + " timed out", "upstream_timeout", null);
    }

    ArbiterException transport(Throwable cause, Deadline deadline) {
        if (cause instanceof ArbiterException a) return a;
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof HttpConnectTimeoutException || t instanceof ConnectException || t instanceof ConnectTimeoutException) {
                log.warn("upstream {} unreachable: {}", label, t.toString());
                return new ArbiterException.Upstream(0, "could not connect to upstream " + label, "upstream_unreachable", null);
            }
            if (t instanceof HttpTimeoutException || t instanceof java.net.SocketTimeoutException) return timeout(deadline);
            if (t instanceof javax.net.ssl.SSLHandshakeException) {
                log.warn("upstream {}: TLS handshake failed: {}", label, t.toString());
                return new ArbiterException.Upstream(0, "TLS handshake with upstream " + label + " failed (is its certificate"
                        + " trusted? see the deployment's tls.ca-file)", "upstream_tls_error", null);
            }
        }
        if (deadline.passed()) return timeout(deadline);
        log.warn("upstream {} failed: {}", label, String.valueOf(cause));
        return new ArbiterException.Upstream(0, "upstream " + label + " closed the connection without an answer",
                "upstream_connection_error", null);
    }

    private ObjectNode parseObject(byte[] body) {
        try {
            JsonNode n = Json.MAPPER.readTree(body);
            if (n instanceof ObjectNode o) return o;
        } catch (IOException e) {
            // fall through
        }
        log.warn("upstream {} answered with a body that is not a JSON object: {}", label, errors.forLog(body));
        throw new ArbiterException.Upstream(502, "upstream " + label + " answered with a malformed body", "upstream_bad_response", null);
    }

    public String label() {
        return label;
    }
}
