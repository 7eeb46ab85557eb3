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
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
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
    private static final Pattern KEYLIKE = Pattern.compile("(sk-|sk-ant-|key-|Bearer\\s+)[A-Za-z0-9_\\-*.]{6,}");
    /** Fires deadlines on streams whose reads block; one daemon thread is plenty for timers that only close. */
    static final ScheduledExecutorService TIMERS = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "arbiter-upstream-timer");
        t.setDaemon(true);
        return t;
    });

    private final HttpClient client;
    private final String label;

    /**
     * @param label the deployment name, used in messages to callers and logs
     */
    public UpstreamHttp(String label, Duration connectTimeout, boolean secure) {
        this.label = label;
        this.client = HttpClient.newBuilder()
                .connectTimeout(connectTimeout)
                .version(secure ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    private HttpRequest request(URI uri, Map<String, String> headers, byte[] body, Duration timeout, boolean stream) {
        var b = HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .header("content-type", "application/json")
                .header("accept", stream ? "text/event-stream" : "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(b::header);
        return b.build();
    }

    private HttpRequest get(URI uri, Map<String, String> headers, Duration timeout) {
        var b = HttpRequest.newBuilder(uri).timeout(timeout).header("accept", "application/json").GET();
        headers.forEach(b::header);
        return b.build();
    }

    /** POSTs JSON and returns the parsed JSON answer, or throws the mapped upstream error. */
    public ObjectNode postJson(URI uri, Map<String, String> headers, JsonNode body, Deadline deadline, Duration timeout) {
        Duration limit = deadline.cap(timeout);
        if (limit.isNegative() || limit.isZero()) throw new ArbiterException.DeadlineExceeded("request deadline exceeded before the upstream call");
        HttpResponse<byte[]> res = await(client.sendAsync(request(uri, headers, Json.bytes(body), limit, false),
                HttpResponse.BodyHandlers.ofByteArray()), limit, deadline);
        if (res.statusCode() >= 400) throw upstreamError(res.statusCode(), res.headers(), res.body());
        return parseObject(res.body());
    }

    /** GETs JSON (model lists, stored objects). */
    public ObjectNode getJson(URI uri, Map<String, String> headers, Deadline deadline, Duration timeout) {
        Duration limit = deadline.cap(timeout);
        HttpResponse<byte[]> res = await(client.sendAsync(get(uri, headers, limit), HttpResponse.BodyHandlers.ofByteArray()),
                limit, deadline);
        if (res.statusCode() >= 400) throw upstreamError(res.statusCode(), res.headers(), res.body());
        return parseObject(res.body());
    }

    /**
     * POSTs JSON and returns the body as a stream once the upstream answered with a success status. The
     * returned stream closes itself at the deadline; closing it cancels the upstream call.
     */
    public OpenStream postStream(URI uri, Map<String, String> headers, JsonNode body, Deadline deadline, Duration timeout) {
        Duration limit = deadline.cap(timeout);
        if (limit.isNegative() || limit.isZero()) throw new ArbiterException.DeadlineExceeded("request deadline exceeded before the upstream call");
        HttpResponse<InputStream> res = await(client.sendAsync(request(uri, headers, Json.bytes(body), limit, true),
                HttpResponse.BodyHandlers.ofInputStream()), limit, deadline);
        if (res.statusCode() >= 400) {
            byte[] err;
            try (InputStream in = res.body()) {
                err = in.readNBytes(MAX_ERROR_BODY);
            } catch (IOException e) {
                err = new byte[0];
            }
            throw upstreamError(res.statusCode(), res.headers(), err);
        }
        String type = res.headers().firstValue("content-type").orElse("");
        if (!type.startsWith("text/event-stream")) {
            byte[] got;
            try (InputStream in = res.body()) {
                got = in.readNBytes(MAX_ERROR_BODY);
            } catch (IOException e) {
                got = new byte[0];
            }
            log.warn("upstream {} answered a stream request with content-type '{}': {}", label, type, mask(got));
            throw new ArbiterException.Upstream(502, "upstream " + label + " did not answer with an event stream",
                    "upstream_bad_response", null);
        }
        return new OpenStream(res.body(), deadline, label);
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
        if (cause instanceof HttpConnectTimeoutException || cause instanceof ConnectException
                || cause != null && cause.getCause() instanceof ConnectException) {
            log.warn("upstream {} unreachable: {}", label, cause.toString());
            return new ArbiterException.Upstream(0, "could not connect to upstream " + label, "upstream_unreachable", null);
        }
        if (cause instanceof HttpTimeoutException) return timeout(deadline);
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
    ArbiterException upstreamError(int status, java.net.http.HttpHeaders headers, byte[] body) {
        String masked = mask(body);
        log.warn("upstream {} answered HTTP {}: {}", label, status, masked);
        Duration retryAfter = headers.firstValue("retry-after").map(UpstreamHttp::parseRetryAfter).orElse(null);
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
        private final java.util.concurrent.ScheduledFuture<?> deadlineTimer;
        private final Deadline deadline;
        private final String label;
        private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

        OpenStream(InputStream body, Deadline deadline, String label) {
            this.body = body;
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
            try {
                body.close();
            } catch (IOException e) {
                // closing is best effort: the connection is discarded either way
            }
        }
    }
}
