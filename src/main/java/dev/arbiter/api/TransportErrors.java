package dev.arbiter.api;

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
        String text = message == null || message.isBlank() ? status.reasonPhrase() : detail(message);
        return answer(req, status, headers, text, code(status), type.keepAlive() && status.code() < 500);
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

    /** What the caller sent, quoted back at most {@link #MAX_DETAIL} characters long and printable. */
    private static String detail(String s) {
        if (s == null) return "";
        String d = s.length() > MAX_DETAIL ? s.substring(0, MAX_DETAIL) + "..." : s;
        return d.codePoints().allMatch(c -> c >= ' ' && c != 0x7f) ? d : HttpApi.headerValue(d);
    }
}
