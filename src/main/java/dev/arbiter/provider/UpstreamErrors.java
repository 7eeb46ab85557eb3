package dev.arbiter.provider;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.wire.Json;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.error.Untrusted;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one upstream's error answers become: the caller gets Arbiter's summary (with the upstream's own message for
 * a request it rejected, and its retry hint), the log gets the body; both with every configured secret and anything
 * key-like masked, and escaped and bounded as untrusted text.
 */
final class UpstreamErrors {
    private static final Logger log = LoggerFactory.getLogger(UpstreamHttp.class);
    /** How much of an upstream body goes into a log line. */
    private static final int LOGGED_CHARS = 2000;
    /** How much of an upstream's own message reaches the caller. */
    private static final int DETAIL_CHARS = 500;
    /** Longest retry hint passed on; a larger one is taken as this. */
    private static final Duration MAX_RETRY_AFTER = Duration.ofDays(1);

    private final String label;
    private final SecretMask secrets;

    UpstreamErrors(String label, SecretMask secrets) {
        this.label = label;
        this.secrets = secrets;
    }

    /**
     * Maps an upstream error status and body to what the caller sees; the body itself goes to the log.
     *
     * @param retryAfter the upstream's {@code Retry-After} header (seconds or an HTTP date), or null
     * @param retryAfterMs the upstream's {@code retry-after-ms} header (OpenAI, Azure), or null; preferred when both
     * @param rateLimitReset for a 429 without either, the wait its {@code x-ratelimit-reset-*} headers give, or null
     */
    ArbiterException upstreamError(int status, String retryAfter, String retryAfterMs, Duration rateLimitReset, byte[] body) {
        log.warn("upstream {} answered HTTP {}: {}", label, status, forLog(body));
        String detail = null;
        if (status == 400 || status == 404 || status == 413 || status == 422) {
            try {
                JsonNode n = Json.MAPPER.readTree(body);
                JsonNode err = n.path("error");
                String m = err.isTextual() ? err.asText() : Json.text(err, "message");
                if (m == null) m = Json.text(n, "message");
                if (m != null) detail = Untrusted.text(secrets.mask(m), DETAIL_CHARS);
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
        Duration hint = retryAfter(retryAfter, retryAfterMs);
        if (hint == null && status == 429) hint = rateLimitReset;
        return new ArbiterException.Upstream(status, msg, "upstream_http_" + status, hint);
    }

    ArbiterException upstreamError(int status, String retryAfter, String retryAfterMs, byte[] body) {
        return upstreamError(status, retryAfter, retryAfterMs, null, body);
    }

    /**
     * The wait OpenAI-style rate-limit headers give a 429: {@code x-ratelimit-reset-requests} and
     * {@code x-ratelimit-reset-tokens} (durations in Go's form: {@code 1s}, {@code 6m0s}, {@code 20ms},
     * {@code 1h2m3.5s}). When {@code x-ratelimit-remaining-*} says which limit ran out (0 left), that limit's reset;
     * otherwise the sooner of the two. Null when neither is there or readable.
     */
    static Duration rateLimitReset(java.util.function.Function<String, String> header) {
        Duration requests = goDuration(header.apply("x-ratelimit-reset-requests"));
        Duration tokens = goDuration(header.apply("x-ratelimit-reset-tokens"));
        boolean requestsOut = "0".equals(trim(header.apply("x-ratelimit-remaining-requests")));
        boolean tokensOut = "0".equals(trim(header.apply("x-ratelimit-remaining-tokens")));
        if (requestsOut || tokensOut) {
            Duration a = requestsOut ? requests : null;
            Duration b = tokensOut ? tokens : null;
            if (a != null || b != null) return a == null ? b : b == null ? a : a.compareTo(b) >= 0 ? a : b;
        }
        if (requests == null) return tokens;
        if (tokens == null) return requests;
        return requests.compareTo(tokens) <= 0 ? requests : tokens;
    }

    private static String trim(String s) {
        return s == null ? null : s.trim();
    }

    private static final java.util.regex.Pattern GO_PART = java.util.regex.Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|ms|s|m|h)");

    /** A Go duration ({@code 1h2m3.5s}, {@code 20ms}, {@code 0s}), bounded to a day; null if it is not one. */
    static Duration goDuration(String v) {
        if (v == null || v.isBlank() || v.length() > 64) return null;
        var m = GO_PART.matcher(v.trim());
        double nanos = 0;
        int at = 0;
        while (m.find()) {
            if (m.start() != at) return null;
            double n = Double.parseDouble(m.group(1));
            nanos += n * switch (m.group(2)) {
                case "ns" -> 1;
                case "us", "µs" -> 1e3;
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
            };
            at = m.end();
        }
        if (at == 0 || at != v.trim().length()) return null;
        return nanos > MAX_RETRY_AFTER.toNanos() ? MAX_RETRY_AFTER : Duration.ofNanos((long) nanos);
    }

    /** Upstream text with the gateway's secrets and anything key-like masked (not yet escaped or bounded). */
    String mask(String upstreamText) {
        return secrets.mask(upstreamText);
    }

    /** An upstream body (or the start of it) as a log line may show it. */
    String forLog(byte[] body) {
        // the whole (bounded) body is masked before it is cut, so a cut cannot leave part of a secret showing
        return Untrusted.text(secrets.mask(new String(body, StandardCharsets.UTF_8)), LOGGED_CHARS);
    }

    /** The wait an upstream asked for: {@code retry-after-ms} if it is valid, else {@code Retry-After}; null if neither. */
    static Duration retryAfter(String header, String msHeader) {
        Duration ms = msHeader == null ? null : millis(msHeader);
        if (ms != null) return ms;
        return header == null ? null : parseRetryAfter(header);
    }

    private static Duration millis(String v) {
        try {
            double d = Double.parseDouble(v.trim());
            return Double.isFinite(d) && d >= 0 ? bounded(Math.round(d)) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** {@code Retry-After} as delay-seconds or an HTTP date (RFC 9110 10.2.3); null if it is neither. */
    static Duration parseRetryAfter(String v) {
        try {
            double d = Double.parseDouble(v.trim());
            return Double.isFinite(d) && d >= 0 ? bounded(Math.round(d * 1000)) : null;
        } catch (NumberFormatException e) {
            try {
                var at = ZonedDateTime.parse(v.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration d = Duration.between(ZonedDateTime.now(at.getZone()), at);
                return d.isNegative() ? Duration.ZERO : d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : d;
            } catch (RuntimeException e2) {
                return null;
            }
        }
    }

    private static Duration bounded(long millis) {
        return millis > MAX_RETRY_AFTER.toMillis() ? MAX_RETRY_AFTER : Duration.ofMillis(millis);
    }
}
