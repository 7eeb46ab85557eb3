package dev.arbiter.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.api.Bodies;
import dev.arbiter.api.Json;
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
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP to one upstream (Apache HttpClient for plain HTTP, the JDK client for TLS): JSON in, JSON or an SSE byte
 * stream out, every call bounded by the request's deadline and the deployment's timeout, and cancellable. Upstream error bodies are logged (with
 * anything that looks like a key masked) and summarised for the caller, never echoed whole.
 */
public final class UpstreamHttp {
    private static final Logger log = LoggerFactory.getLogger(UpstreamHttp.class);
    private static final int MAX_ERROR_BODY = 64 * 1024;
    private static final int MAX_BODY = 256 * 1024 * 1024;
    private static final Pattern KEYLIKE = Pattern.compile("(sk-|sk-ant-|key-|Bearer\\s+)[A-Za-z0-9_\\-*.]{6,}");
    private static final ContentType JSON = ContentType.create("application/json");
    /** Upper bound of pooled connections per upstream; the gateway's own in-flight limits bound it first. */
    private static final int MAX_CONNECTIONS = 4096;

    private final HttpClient client;
    private final CloseableHttpClient plain;
    private final String label;

    /**
     * @param label the deployment name, used in messages to callers and logs
     * @param secure whether the upstream is reached over TLS
     */
    public UpstreamHttp(String label, Duration connectTimeout, boolean secure) {
        this.label = label;
        // Plain-HTTP upstreams (vLLM, llama.cpp, Ollama on the next host) are where the gateway's own cost shows, so
        // they get Apache HttpClient's classic (blocking) client: the whole exchange runs on the request's virtual
        // thread, with no hand-off to other threads. Measured in bench/run.sh against the alternatives: the JDK
        // client hands every exchange between its selector thread, its executor and CompletableFuture stages, and
        // Helidon's WebClient starts a monitor thread on every pooled connection after each call (a 101 ms timed
        // read loop that the next call must stop), which together cost more CPU than the rest of the gateway.
        // Pooled connections idle for over a second are checked before reuse, since local servers such as uvicorn
        // close idle keep-alive connections after a few seconds. TLS upstreams keep the JDK client for HTTP/2.
        // The minimal client: the exchange itself, none of the full client's protocol chain (redirects, cookies,
        // authentication, retries, decompression are all off anyway, and that chain re-parsed the request path on
        // every call, measured at an eighth of the gateway's allocation).
        this.plain = secure ? null : HttpClients.createMinimal(pool(connectTimeout));
        this.client = !secure ? null : HttpClient.newBuilder()
                .connectTimeout(connectTimeout)
                .version(HttpClient.Version.HTTP_2)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
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
        // a burst opens as many connections as it has calls in flight; those idle for 30 s are closed
        new IdleConnectionEvictor(pool, TimeValue.ofSeconds(30)).start();
        return pool;
    }

    /** An upstream's answer whose body has not been read yet; closing {@code closer} abandons the exchange. */
    private record Answer(int status, Optional<String> retryAfter, String contentType, long contentLength, InputStream body,
                          AutoCloseable closer) {}

    private Answer send(URI uri, Map<String, String> headers, byte[] body, Duration limit, Deadline deadline, boolean stream) {
        if (limit.isNegative() || limit.isZero()) {
            throw new ArbiterException.DeadlineExceeded("request deadline exceeded before the upstream call");
        }
        String accept = stream ? "text/event-stream" : "application/json";
        if (plain != null) {
            HttpUriRequestBase req = body == null ? new HttpGet(uri) : new HttpPost(uri);
            req.setConfig(RequestConfig.custom().setResponseTimeout(Timeout.of(limit)).build());
            req.setHeader("accept", accept);
            req.setHeader("user-agent", "arbiter");
            headers.forEach(req::setHeader);
            if (body != null) req.setEntity(new ByteArrayEntity(body, JSON));
            // the socket timeout bounds each read, not the whole wait: an upstream trickling its status line and
            // headers would outlast the deadline without this
            try (var guard = Watchdog.shared().arm(deadline, req::cancel)) {
                ClassicHttpResponse res = plain.executeOpen(new HttpHost(uri.getScheme(), uri.getHost(), uri.getPort()), req, null);
                HttpEntity entity = res.getEntity();
                Header retryAfter = res.getFirstHeader("retry-after");
                Header type = res.getFirstHeader("content-type");
                // cancel() drops the connection unless the body was read to its end, which already returned it to
                // the pool; it is safe from any thread, so a deadline timer or a client disconnect can abort a read
                return new Answer(res.getCode(), Optional.ofNullable(retryAfter).map(Header::getValue),
                        type == null ? "" : type.getValue(), entity == null ? 0 : entity.getContentLength(),
                        entity == null ? InputStream.nullInputStream() : entity.getContent(),
                        () -> {
                            req.cancel();
                            res.close();
                        });
            } catch (IOException | RuntimeException e) {
                throw transport(e, deadline);
            }
        }
        var b = HttpRequest.newBuilder(uri).timeout(limit).header("accept", accept);
        if (body != null) b.header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body));
        else b.GET();
        headers.forEach(b::header);
        HttpResponse<InputStream> res = await(client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofInputStream()), limit, deadline);
        return new Answer(res.statusCode(), res.headers().firstValue("retry-after"),
                res.headers().firstValue("content-type").orElse(""), res.headers().firstValueAsLong("content-length").orElse(-1),
                res.body(), res.body());
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

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // the exchange is abandoned either way
        }
    }

    private ObjectNode complete(Answer a, Deadline deadline) {
        byte[] bytes = readAll(a, deadline, a.status() >= 400 ? MAX_ERROR_BODY : MAX_BODY);
        if (a.status() >= 400) throw upstreamError(a.status(), a.retryAfter(), bytes);
        return parseObject(bytes);
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
    public OpenStream postStream(URI uri, Map<String, String> headers, JsonNode body, Deadline deadline, Duration timeout) {
        Answer a = send(uri, headers, Json.bytes(body), deadline.cap(timeout), deadline, true);
        if (a.status() >= 400) throw upstreamError(a.status(), a.retryAfter(), readAll(a, deadline, MAX_ERROR_BODY));
        if (!a.contentType().startsWith("text/event-stream")) {
            byte[] got = readAll(a, deadline, MAX_ERROR_BODY);
            log.warn("upstream {} answered a stream request with content-type '{}': {}", label, a.contentType(), mask(got));
            throw new ArbiterException.Upstream(502, "upstream " + label + " did not answer with an event stream",
                    "upstream_bad_response", null);
        }
        return new OpenStream(a.body(), a.closer(), deadline, label);
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
        log.warn("upstream {} answered with a body that is not a JSON object: {}", label, mask(body));
        throw new ArbiterException.Upstream(502, "upstream " + label + " answered with a malformed body", "upstream_bad_response", null);
    }

    /** Maps an upstream error status and body to what the caller sees; the body itself goes to the log. */
    ArbiterException upstreamError(int status, Optional<String> retryAfterHeader, byte[] body) {
        String masked = mask(body);
        log.warn("upstream {} answered HTTP {}: {}", label, status, masked);
        Duration retryAfter = retryAfterHeader.map(UpstreamHttp::parseRetryAfter).orElse(null);
        String detail = null;
        if (status == 400 || status == 404 || status == 413 || status == 422) {
            try {
                JsonNode n = Json.MAPPER.readTree(body);
                JsonNode err = n.path("error");
                String m = err.isTextual() ? err.asText() : Json.text(err, "message");
                if (m == null) m = Json.text(n, "message");
                if (m != null) detail = KEYLIKE.matcher(m.length() > 500 ? m.substring(0, 500) + "..." : m).replaceAll("****");
            } catch (IOException | RuntimeException e) {
                // no readable detail
            }
        }
        String what = switch (status) {
            case 401, 403 -> "rejected Arbiter's credentials";
            case 429 -> "is rate limiting";
            case 529, 503 -> "is overloaded";
            default -> status >= 500 ? "failed" : "rejected the request";
        };
        String msg = "upstream " + label + " " + what + " (HTTP " + status + ")" + (detail == null ? "" : ": " + detail);
        return new ArbiterException.Upstream(status, msg, "upstream_http_" + status, retryAfter);
    }

    static Duration parseRetryAfter(String v) {
        try {
            return Duration.ofMillis(Math.round(Double.parseDouble(v.trim()) * 1000));
        } catch (NumberFormatException e) {
            try {
                var at = ZonedDateTime.parse(v.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration d = Duration.between(ZonedDateTime.now(at.getZone()), at);
                return d.isNegative() ? Duration.ZERO : d;
            } catch (RuntimeException e2) {
                return null;
            }
        }
    }

    static String mask(byte[] body) {
        String s = new String(body, 0, Math.min(body.length, 2000), java.nio.charset.StandardCharsets.UTF_8);
        return KEYLIKE.matcher(s).replaceAll("****");
    }

    public String label() {
        return label;
    }

    /**
     * An upstream response body being streamed. Closing it (from any thread) aborts the upstream exchange;
     * it closes itself when the request's deadline passes.
     */
    public static final class OpenStream implements AutoCloseable {
        private final InputStream body;
        private final AutoCloseable closer;
        private final Watchdog.Armed deadlineTimer;
        private final Deadline deadline;
        private final String label;
        private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

        OpenStream(InputStream body, AutoCloseable closer, Deadline deadline, String label) {
            this.body = body;
            this.closer = closer;
            this.deadline = deadline;
            this.label = label;
            this.deadlineTimer = Watchdog.shared().arm(deadline, this::close);
        }

        public InputStream body() {
            return body;
        }

        /** The error to report for a read that failed: the deadline, a cancellation or a broken upstream. */
        public ArbiterException failure(IOException e) {
            if (deadline.passed()) return new ArbiterException.DeadlineExceeded("request deadline exceeded while streaming from upstream " + label);
            if (closed.get()) return new ArbiterException.Upstream(0, "stream from upstream " + label + " was cancelled", "cancelled", null);
            log.warn("stream from upstream {} broke: {}", label, e.toString());
            return new ArbiterException.Upstream(502, "stream from upstream " + label + " broke off", "upstream_stream_error", null);
        }

        public boolean closed() {
            return closed.get();
        }

        @Override
        public void close() {
            if (!closed.compareAndSet(false, true)) return;
            deadlineTimer.close();
            closeQuietly(closer);
        }
    }
}
