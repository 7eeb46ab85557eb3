package dev.arbiter.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.api.Json;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.pipeline.Deadline;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Method;
import io.helidon.webclient.api.HttpClientRequest;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.WebClient;
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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP to one upstream, on the JDK client: JSON in, JSON or an SSE byte stream out, every call bounded by the
 * request's deadline and the deployment's timeout, and cancellable. Upstream error bodies are logged (with
 * anything that looks like a key masked) and summarised for the caller, never echoed whole.
 */
public final class UpstreamHttp {
    private static final Logger log = LoggerFactory.getLogger(UpstreamHttp.class);
    private static final int MAX_ERROR_BODY = 64 * 1024;
    private static final int MAX_BODY = 256 * 1024 * 1024;
    private static final Pattern KEYLIKE = Pattern.compile("(sk-|sk-ant-|key-|Bearer\\s+)[A-Za-z0-9_\\-*.]{6,}");
    /** Fires deadlines on streams whose reads block; one daemon thread is plenty for timers that only close. */
    static final ScheduledExecutorService TIMERS = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "arbiter-upstream-timer");
        t.setDaemon(true);
        return t;
    });

    private final HttpClient client;
    private final WebClient plain;
    private final String label;

    /**
     * @param label the deployment name, used in messages to callers and logs
     * @param secure whether the upstream is reached over TLS
     */
    public UpstreamHttp(String label, Duration connectTimeout, boolean secure) {
        this.label = label;
        // Plain-HTTP upstreams (vLLM, llama.cpp, Ollama on the next host) are where the gateway's own cost shows:
        // Helidon's blocking client runs the call on the request's virtual thread, where the JDK client hands
        // every exchange between its selector thread, its executor and CompletableFuture stages (measured: about
        // 740 against 410 CPU-us per request in bench/run.sh). TLS upstreams keep the JDK client for HTTP/2.
        this.plain = secure ? null : WebClient.builder()
                .socketOptions(o -> o.connectTimeout(connectTimeout).tcpNoDelay(true))
                .followRedirects(false)
                .build();
        this.client = !secure ? null : HttpClient.newBuilder()
                .connectTimeout(connectTimeout)
                .version(HttpClient.Version.HTTP_2)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** An upstream's answer whose body has not been read yet; closing {@code closer} abandons the exchange. */
    private record Answer(int status, Optional<String> retryAfter, String contentType, InputStream body, AutoCloseable closer) {}

    private Answer send(URI uri, Map<String, String> headers, byte[] body, Duration limit, Deadline deadline, boolean stream) {
        if (limit.isNegative() || limit.isZero()) {
            throw new ArbiterException.DeadlineExceeded("request deadline exceeded before the upstream call");
        }
        String accept = stream ? "text/event-stream" : "application/json";
        if (plain != null) {
            try {
                HttpClientRequest req = plain.method(body == null ? Method.GET : Method.POST).uri(uri).readTimeout(limit);
                req.header(HeaderValues.create("accept", accept));
                if (body != null) req.header(HeaderValues.create("content-type", "application/json"));
                headers.forEach((k, v) -> req.header(HeaderValues.create(k, v)));
                HttpClientResponse res = body == null ? req.request() : req.submit(body);
                return new Answer(res.status().code(), res.headers().first(HeaderNames.create("retry-after")),
                        res.headers().first(HeaderNames.CONTENT_TYPE).orElse(""), res.inputStream(), res);
            } catch (RuntimeException e) {
                throw transport(e, deadline);
            }
        }
        var b = HttpRequest.newBuilder(uri).timeout(limit).header("accept", accept);
        if (body != null) b.header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body));
        else b.GET();
        headers.forEach(b::header);
        HttpResponse<InputStream> res = await(client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofInputStream()), limit, deadline);
        return new Answer(res.statusCode(), res.headers().firstValue("retry-after"),
                res.headers().firstValue("content-type").orElse(""), res.body(), res.body());
    }

    /** Reads a whole (non-streamed) answer, giving up at the deadline. */
    private byte[] readAll(Answer a, Deadline deadline, int max) {
        var timer = TIMERS.schedule(() -> closeQuietly(a.closer()), Math.max(0, deadline.remaining().toNanos()), TimeUnit.NANOSECONDS);
        try (InputStream in = a.body()) {
            return in.readNBytes(max);
        } catch (IOException | RuntimeException e) {
            if (deadline.passed()) throw timeout(deadline);
            throw transport(e, deadline);
        } finally {
            timer.cancel(false);
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
            if (t instanceof HttpConnectTimeoutException || t instanceof ConnectException) {
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
        private final java.util.concurrent.ScheduledFuture<?> deadlineTimer;
        private final Deadline deadline;
        private final String label;
        private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

        OpenStream(InputStream body, AutoCloseable closer, Deadline deadline, String label) {
            this.body = body;
            this.closer = closer;
            this.deadline = deadline;
            this.label = label;
            long nanos = Math.max(0, deadline.remaining().toNanos());
            this.deadlineTimer = TIMERS.schedule(this::close, nanos, TimeUnit.NANOSECONDS);
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
            deadlineTimer.cancel(false);
            closeQuietly(closer);
        }
    }
}
