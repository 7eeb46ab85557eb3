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
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.util.Timeout;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP to one deployment's upstream over its endpoint's shared client ({@link Upstream}: Apache HttpClient for plain
 * HTTP, the JDK client for TLS): JSON in, JSON or an SSE byte stream out, and cancellable; answers bounded by the
 * deployment's {@code max-response-bytes} and {@code max-event-bytes}. Upstream error bodies are logged (with every
 * configured secret and anything that looks like a key masked) and summarised for the caller, never echoed whole. A
 * plain-HTTP request that a pooled connection's upstream had silently closed is sent once more on a new connection
 * (see {@link UpstreamConnections}).
 *
 * <p>Time: every wait (for the answer's head, for a whole body, for each read of a stream) is bounded by the earlier
 * of the request's deadline and the deployment's {@code timeout} from the start of that wait, on the gateway's
 * {@link Watchdog}, which aborts the exchange when it fires: 504 {@code upstream_timeout}, or the deadline's own 504.
 * Sockets have no read timeout. A socket timeout would make every blocking read a timed park of the virtual thread,
 * which in JDK 25 schedules and cancels a timer on {@code ForkJoinPool-1-delayScheduler}, waking that thread 1.7
 * times per request with a 50 ms upstream (bench/LOW-LOAD.md); arming the watchdog is a set operation and wakes
 * nothing, and a stream re-arms one entry per read by postponing it.
 */
public final class UpstreamHttp {
    private static final Logger log = LoggerFactory.getLogger(UpstreamHttp.class);
    private static final int MAX_ERROR_BODY = 64 * 1024;
    private static final ContentType JSON = ContentType.create("application/json");
    /** No read timeout on the socket: the watchdog bounds the waits (see above). */
    private static final RequestConfig UNTIMED = RequestConfig.custom().setResponseTimeout(Timeout.DISABLED).build();

    private final Upstream upstream;
    private final Watchdog watchdog;
    private final String label;
    private final int maxResponseBytes;
    private final int maxEventBytes;
    private final UpstreamErrors errors;

    /**
     * @param config the deployment: its name (used in messages to callers and logs) and answer bounds
     * @param secrets the gateway's secrets, masked in any upstream text logged or passed on
     * @param upstream the deployment's endpoint, whose client it uses
     * @param watchdog the gateway's watchdog, which bounds every wait
     */
    public UpstreamHttp(DeploymentConfig config, SecretMask secrets, Upstream upstream, Watchdog watchdog) {
        this.upstream = upstream;
        this.watchdog = watchdog;
        this.label = config.name();
        this.maxResponseBytes = config.maxResponseBytes();
        this.maxEventBytes = config.maxEventBytes();
        this.errors = new UpstreamErrors(label, secrets);
    }

    /** The endpoint this deployment calls. */
    public Upstream upstream() {
        return upstream;
    }

    /**
     * An upstream's answer whose body has not been read yet; closing {@code closer} abandons the exchange. The retry
     * headers are null when absent.
     */
    private record Answer(int status, String retryAfter, String retryAfterMs, Duration rateLimitReset, String contentType,
                          long contentLength, InputStream body, AutoCloseable closer, Duration timeout) {}

    /** Sends the request and waits for the answer's head, for no longer than the deadline and {@code timeout}. */
    private Answer send(URI uri, Map<String, String> headers, byte[] body, Duration timeout, Deadline deadline, boolean stream) {
        Duration limit = deadline.cap(timeout);
        if (limit.isNegative() || limit.isZero()) {
            throw new ArbiterException.DeadlineExceeded("request deadline exceeded before the upstream call");
        }
        long until = watchdog.nanoTime() + limit.toNanos();
        String accept = stream ? "text/event-stream" : "application/json";
        if (upstream.plain != null) {
            HttpHost host = new HttpHost(uri.getScheme(), uri.getHost(), uri.getPort());
            HttpUriRequestBase req = request(uri, headers, body, accept);
            try {
                return open(upstream.plain, host, req, until, timeout, deadline);
            } catch (UpstreamConnections.StaleConnection stale) {
                // an interrupted thread (a hedged attempt that lost) closed the connection itself: nothing to resend
                if (req.isCancelled() || deadline.passed() || Thread.currentThread().isInterrupted()) {
                    throw transport(stale.getCause(), deadline);
                }
                // nothing of an answer arrived on a connection the upstream had closed: it never saw this request
                log.debug("upstream {}: {}; sending again on a new connection", label, stale.getMessage());
                try {
                    return open(upstream.plainFresh, host, request(uri, headers, body, accept), until, timeout, deadline);
                } catch (UpstreamConnections.StaleConnection impossible) {
                    throw transport(impossible.getCause(), deadline);   // a new connection is never reused
                }
            }
        }
        var b = HttpRequest.newBuilder(uri).timeout(limit).header("accept", accept);
        if (body != null) b.header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body));
        else b.GET();
        headers.forEach(b::header);
        HttpResponse<InputStream> res = await(upstream.client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofInputStream()),
                limit, deadline);
        var h = res.headers();
        return new Answer(res.statusCode(), h.firstValue("retry-after").orElse(null), h.firstValue("retry-after-ms").orElse(null),
                res.statusCode() == 429 ? UpstreamErrors.rateLimitReset(name -> h.firstValue(name).orElse(null)) : null,
                h.firstValue("content-type").orElse(""), h.firstValueAsLong("content-length").orElse(-1), res.body(), res.body(),
                timeout);
    }

    private static HttpUriRequestBase request(URI uri, Map<String, String> headers, byte[] body, String accept) {
        HttpUriRequestBase req = body == null ? new HttpGet(uri) : new HttpPost(uri);
        req.setConfig(UNTIMED);
        req.setHeader("accept", accept);
        req.setHeader("user-agent", "arbiter");
        headers.forEach(req::setHeader);
        if (body != null) req.setEntity(new ByteArrayEntity(body, JSON));
        return req;
    }

    /**
     * Runs one plain-HTTP exchange up to the answer's head, aborted at {@code until} on the watchdog's clock; a reused
     * connection found dead comes out as such.
     */
    private Answer open(CloseableHttpClient http, HttpHost host, HttpUriRequestBase req, long until, Duration timeout,
                        Deadline deadline) throws UpstreamConnections.StaleConnection {
        Watchdog.Armed guard = watchdog.arm(Duration.ofNanos(until - watchdog.nanoTime()), req::cancel);
        try (guard) {
            ClassicHttpResponse res = http.executeOpen(host, req, null);
            HttpEntity entity = res.getEntity();
            Header type = res.getFirstHeader("content-type");
            // cancel() drops the connection unless the body was read to its end, which already returned it to
            // the pool; it is safe from any thread, so a deadline timer or a client disconnect can abort a read
            return new Answer(res.getCode(), value(res.getFirstHeader("retry-after")), value(res.getFirstHeader("retry-after-ms")),
                    res.getCode() == 429 ? UpstreamErrors.rateLimitReset(name -> value(res.getFirstHeader(name))) : null,
                    type == null ? "" : type.getValue(), entity == null ? 0 : entity.getContentLength(),
                    entity == null ? InputStream.nullInputStream() : entity.getContent(),
                    () -> {
                        req.cancel();
                        res.close();
                    }, timeout);
        } catch (UpstreamConnections.StaleConnection e) {
            if (guard.fired()) throw timeout(deadline);
            throw e;
        } catch (IOException | RuntimeException e) {
            if (guard.fired()) throw timeout(deadline);
            throw transport(e, deadline);
        }
    }

    private static String value(Header h) {
        return h == null ? null : h.getValue();
    }

    /** Reads a whole (non-streamed) answer, giving up at the deadline or after the deployment's timeout. */
    private byte[] readAll(Answer a, Deadline deadline, int max) {
        Watchdog.Armed timer = watchdog.arm(deadline.cap(a.timeout()), () -> closeQuietly(a.closer()));
        try (timer; InputStream in = a.body()) {
            return Bodies.read(in, a.contentLength(), max);
        } catch (IOException | RuntimeException e) {
            if (deadline.passed() || timer.fired()) throw timeout(deadline);
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
        return errors.upstreamError(a.status(), a.retryAfter(), a.retryAfterMs(), a.rateLimitReset(), body);
    }

    /** POSTs JSON and returns the parsed JSON answer, or throws the mapped upstream error. */
    public ObjectNode postJson(URI uri, Map<String, String> headers, JsonNode body, Deadline deadline, Duration timeout) {
        return complete(send(uri, headers, Json.bytes(body), timeout, deadline, false), deadline);
    }

    /** GETs JSON (model lists, stored objects). */
    public ObjectNode getJson(URI uri, Map<String, String> headers, Deadline deadline, Duration timeout) {
        return complete(send(uri, headers, null, timeout, deadline, false), deadline);
    }

    /**
     * POSTs JSON and returns the body as a stream once the upstream answered with a success status. The
     * returned stream closes itself at the deadline or when a read waits longer than {@code timeout}; closing it
     * cancels the upstream call.
     */
    OpenStream postStream(URI uri, Map<String, String> headers, JsonNode body, Deadline deadline, Duration timeout) {
        Answer a = send(uri, headers, Json.bytes(body), timeout, deadline, true);
        if (a.status() >= 400) throw upstreamError(a, readAll(a, deadline, MAX_ERROR_BODY));
        if (!a.contentType().startsWith("text/event-stream")) {
            byte[] got = readAll(a, deadline, MAX_ERROR_BODY);
            log.warn("upstream {} answered a stream request with content-type '{}': {}", label,
                    dev.arbiter.error.Untrusted.text(a.contentType()), errors.forLog(got));
            throw new ArbiterException.Upstream(502, "upstream " + label + " did not answer with an event stream",
                    "upstream_bad_response", null);
        }
        return new OpenStream(a.body(), a.closer(), deadline, timeout, watchdog, label, maxEventBytes, errors);
    }

    /** The JDK client's answer head, waited for untimed (no timed park) and cancelled by the watchdog at {@code limit}. */
    private <T> HttpResponse<T> await(CompletableFuture<HttpResponse<T>> f, Duration limit, Deadline deadline) {
        Watchdog.Armed timer = watchdog.arm(limit, () -> f.cancel(true));
        try (timer) {
            return f.get();
        } catch (CancellationException e) {
            if (timer.fired()) throw timeout(deadline);
            throw new ArbiterException.Upstream(0, "call to upstream " + label + " was cancelled", "cancelled", null);
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
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
        if (Thread.currentThread().isInterrupted()) {
            // Arbiter itself cancelled the call (a hedged attempt that lost): not the upstream's failure
            log.debug("upstream {}: call cancelled: {}", label, String.valueOf(cause));
            return new ArbiterException.Upstream(0, "call to upstream " + label + " was cancelled", "cancelled", null);
        }
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
