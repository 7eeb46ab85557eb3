package dev.arbiter.error;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every failure Arbiter reports to a caller. The hierarchy is sealed so that {@link ErrorKind#of} maps each
 * to an HTTP status and an error type in one exhaustive switch. Messages are written for the caller: they
 * never hold upstream bodies, stack traces or secrets (those go to the log). Stack traces are not filled:
 * these are expected outcomes on the hot path, not bugs.
 */
public sealed abstract class ArbiterException extends RuntimeException {
    private final String param;
    private final String code;
    /** Written once by the stage that throws, before it throws; read by the edge after. */
    private volatile Map<String, String> headers = Map.of();

    /** Messages are cut to this many characters: one holding a caller's value can never make a huge error body. */
    static final int MAX_MESSAGE = 4096;

    protected ArbiterException(String message, String param, String code) {
        super(message != null && message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE) + "..." : message, null, false, false);
        this.param = param != null && param.length() > 256 ? param.substring(0, 256) : param;
        this.code = code;
    }

    /** The request field at fault, or null. */
    public String param() {
        return param;
    }

    /** A short machine-readable code, or null. */
    public String code() {
        return code;
    }

    /**
     * Response headers this rejection carries to the client (e.g. {@code x-ratelimit-remaining-requests}), lower-case
     * names; {@code retry-after} is written from the exception's own retry hint, not from here.
     */
    public Map<String, String> headers() {
        return headers;
    }

    /** Adds a response header for the client (a rate limiter's, a retry hint); returns this exception, to throw. */
    public ArbiterException withHeader(String name, String value) {
        var h = new LinkedHashMap<>(headers);
        h.put(name.toLowerCase(java.util.Locale.ROOT), value);
        headers = Map.copyOf(h);
        return this;
    }

    /** The request is malformed or asks for something impossible (400). */
    public static final class BadRequest extends ArbiterException {
        public BadRequest(String message, String param) {
            super(message, param, null);
        }

        public BadRequest(String message, String param, String code) {
            super(message, param, code);
        }
    }

    /** The caller is not authenticated (401). */
    public static final class Unauthorized extends ArbiterException {
        public Unauthorized(String message) {
            super(message, null, "invalid_api_key");
        }
    }

    /** The caller may not do this (403). */
    public static final class Forbidden extends ArbiterException {
        public Forbidden(String message) {
            super(message, null, null);
        }
    }

    /** An unknown model, route or stored object (404). */
    public static final class NotFound extends ArbiterException {
        public NotFound(String message, String param, String code) {
            super(message, param, code);
        }
    }

    /** The body is larger than the configured limit (413). */
    public static final class PayloadTooLarge extends ArbiterException {
        public PayloadTooLarge(String message) {
            super(message, null, "request_too_large");
        }
    }

    /** The body is not JSON (415). */
    public static final class UnsupportedMediaType extends ArbiterException {
        public UnsupportedMediaType(String message) {
            super(message, null, "unsupported_media_type");
        }
    }

    /** The client sent its request too slowly: its body stalled past the server's timeout (408). */
    public static final class RequestTimeout extends ArbiterException {
        public RequestTimeout(String message) {
            super(message, null, "request_timeout");
        }
    }

    /** The HTTP method is not served on this path (405). */
    public static final class MethodNotAllowed extends ArbiterException {
        public MethodNotAllowed(String message) {
            super(message, null, null);
        }
    }

    /**
     * Arbiter sheds load: too many requests in flight and the wait queue is full or its wait timed out.
     * {@code rateLimited} answers 429 (the caller should slow down), otherwise 503 (Arbiter is busy).
     */
    public static final class Overloaded extends ArbiterException {
        private final Duration retryAfter;
        private final boolean rateLimited;

        public Overloaded(String message, Duration retryAfter, boolean rateLimited) {
            super(message, null, rateLimited ? "rate_limit_exceeded" : "overloaded");
            this.retryAfter = retryAfter;
            this.rateLimited = rateLimited;
        }

        /** A 429 or 503 with its own code (e.g. {@code budget_exceeded}: a budget is spent). */
        public Overloaded(String message, Duration retryAfter, boolean rateLimited, String code) {
            super(message, null, code);
            this.retryAfter = retryAfter;
            this.rateLimited = rateLimited;
        }

        /** A 503 with its own code (e.g. {@code circuit_open}: a deployment's breaker refused the call). */
        public Overloaded(String message, Duration retryAfter, String code) {
            super(message, null, code);
            this.retryAfter = retryAfter;
            this.rateLimited = false;
        }

        public Duration retryAfter() {
            return retryAfter;
        }

        public boolean rateLimited() {
            return rateLimited;
        }
    }

    /** The request's deadline passed before an answer was complete (504). */
    public static final class DeadlineExceeded extends ArbiterException {
        public DeadlineExceeded(String message) {
            super(message, null, "timeout");
        }
    }

    /**
     * An upstream answered with an error or could not be reached. {@code status} is the upstream's HTTP status
     * (0 when there was no answer); the message is Arbiter's own summary, never the upstream body.
     * {@code retryAfter} is the upstream's Retry-After, when it gave one.
     */
    public static final class Upstream extends ArbiterException {
        private final int status;
        private final Duration retryAfter;

        public Upstream(int status, String message, String code, Duration retryAfter) {
            super(message, null, code);
            this.status = status;
            this.retryAfter = retryAfter;
        }

        public int status() {
            return status;
        }

        public Duration retryAfter() {
            return retryAfter;
        }
    }

    /** A bug in Arbiter (500); the details are logged, the caller gets a generic message. */
    public static final class Internal extends ArbiterException {
        public Internal(String message) {
            super(message, null, null);
        }
    }
}
