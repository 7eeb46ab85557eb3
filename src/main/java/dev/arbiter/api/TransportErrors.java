package dev.arbiter.api;

import dev.arbiter.wire.ErrorBodies;
import dev.arbiter.wire.Json;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.observe.AccessLog;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers what Helidon refuses before a request reaches Arbiter's routes (a malformed request line or header,
 * a URI or headers too long, an unsupported HTTP version) in the API's own error format, with a request id and
 * an access line, instead of Helidon's plain text. A request line whose method holds a control character made
 * Helidon answer 500 with an empty body (its token check throws, and that surfaces as an internal error; found
 * by fuzzing): an internal error before the request line could be read is the caller's malformed request, a 400.
 */
public final class TransportErrors implements DirectHandler {
    private static final Logger log = LoggerFactory.getLogger(TransportErrors.class);
    private static final int MAX_DETAIL = 200;
    /** How Helidon's HTTP/1 connection words a refusal whose message it does not show. */
    private static final String UNSAFE_PREFIX = "Bad request, see server log";
    private static final java.util.regex.Pattern VERSION = java.util.regex.Pattern.compile("HTTP/[0-9](\\.[0-9])?");

    /** This handler for every kind of transport-level refusal. */
    public static io.helidon.webserver.http.DirectHandlers all() {
        var handler = new TransportErrors();
        var b = io.helidon.webserver.http.DirectHandlers.builder();
        for (EventType type : EventType.values()) b.addHandler(type, handler);
        return b.build();
    }

    /**
     * Helidon's HTTP/1 connection hands over only the message (and only when it is marked safe to show), not the
     * exception, so an internal error is told apart by whether the request line was read at all.
     */
    @Override
    public TransportResponse handle(TransportRequest req, EventType type, Status status, ServerResponseHeaders headers, String message) {
        boolean lineRead = req.method() != null && !req.method().isBlank();
        if (type == EventType.INTERNAL_ERROR && !lineRead) {
            return answer(req, Status.BAD_REQUEST_400, headers, "Malformed HTTP request line", "malformed_request", false);
        }
        if (status.code() >= 500 && status != Status.HTTP_VERSION_NOT_SUPPORTED_505) {
            log.warn("request {} {} refused by the HTTP server with {}: {}", detail(req.method()), detail(req.path()), status.code(), message);
            return answer(req, status, headers, "Arbiter could not handle the request", "internal_error", false);
        }
        if (type == EventType.BAD_REQUEST && (message == null || message.startsWith(UNSAFE_PREFIX))) {
            return unexplained(req, headers);
        }
        String text = message == null || message.isBlank() ? status.reasonPhrase() : detail(message);
        return answer(req, status, headers, text, code(status), type.keepAlive() && status.code() < 500);
    }

    /**
     * A request Helidon refused without a message it marks safe to show ("Bad request, see server log", though its log
     * says nothing above DEBUG): the request line and version are told apart from what it does hand over. For a
     * version it does not serve, Helidon's {@code Http1Prologue} hands the whole request line as the "protocol";
     * for a line it could not split, nothing.
     */
    private static TransportResponse unexplained(TransportRequest req, ServerResponseHeaders headers) {
        String protocol = req.protocolVersion() == null ? "" : req.protocolVersion();
        if (protocol.isEmpty()) {
            return answer(req, Status.BAD_REQUEST_400, headers,
                    "Malformed HTTP request line (expected: METHOD /path HTTP/1.1)", "malformed_request", false);
        }
        if (!protocol.equals("HTTP/1.1")) {
            String line = protocol.endsWith("/") ? protocol.substring(0, protocol.length() - 1) : protocol;
            String version = line.substring(line.lastIndexOf(' ') + 1);
            if (VERSION.matcher(version).matches()) {
                return answer(req, Status.HTTP_VERSION_NOT_SUPPORTED_505, headers, "HTTP version " + detail(version)
                        + " is not supported (expected: HTTP/1.1 or HTTP/1.0)", "http_version_not_supported", false);
            }
            return answer(req, Status.BAD_REQUEST_400, headers, "Malformed HTTP request line: '" + detail(version)
                    + "' is not an HTTP version (expected: METHOD /path HTTP/1.1)", "malformed_request", false);
        }
        return answer(req, Status.BAD_REQUEST_400, headers,
                "Malformed HTTP request: the request target or a header field is invalid", "malformed_request", false);
    }

    private static TransportResponse answer(TransportRequest req, Status status, ServerResponseHeaders headers, String message,
                                            String code, boolean keepAlive) {
        String rid = HttpApi.newRequestId();
        String path = req.path() == null ? "" : req.path();
        int st = status.code();
        ObjectNode body = path.startsWith("/v1/messages")
                ? ErrorBodies.anthropic(message, st >= 500 ? "api_error" : st == 413 ? "request_too_large" : "invalid_request_error", rid)
                : ErrorBodies.openAi(message, st >= 500 && st != 505 ? "server_error" : "invalid_request_error", null, code);
        AccessLog.rejected(rid, detail(path), status.code(), code, 0);
        headers.set(HeaderNames.CONTENT_TYPE, "application/json");
        headers.set(HttpApi.REQUEST_ID, rid);
        return TransportResponse.builder().status(status).headers(headers).keepAlive(keepAlive).entity(Json.bytes(body)).build();
    }

    private static String code(Status status) {
        return switch (status.code()) {
            case 413 -> "payload_too_large";
            case 414 -> "uri_too_long";
            case 431 -> "headers_too_large";
            case 505 -> "http_version_not_supported";
            default -> status.code() >= 500 ? "internal_error" : status.reasonPhrase().toLowerCase(Locale.ROOT).replace(' ', '_');
        };
    }

    /** What the caller sent, quoted back escaped and at most {@link #MAX_DETAIL} characters long. */
    private static String detail(String s) {
        return s == null ? "" : dev.arbiter.error.Untrusted.text(s, MAX_DETAIL);
    }
}
