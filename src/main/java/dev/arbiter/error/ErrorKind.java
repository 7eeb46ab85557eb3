package dev.arbiter.error;

/**
 * How a failure is shown to a caller: HTTP status, OpenAI error type and Anthropic error type, decided in one
 * exhaustive switch over the sealed hierarchy.
 */
public record ErrorKind(int status, String openAiType, String anthropicType) {

    public static ErrorKind of(ArbiterException e) {
        return switch (e) {
            case ArbiterException.BadRequest b -> new ErrorKind(400, "invalid_request_error", "invalid_request_error");
            case ArbiterException.Unauthorized u -> new ErrorKind(401, "authentication_error", "authentication_error");
            case ArbiterException.Forbidden f -> new ErrorKind(403, "permission_error", "permission_error");
            case ArbiterException.NotFound n -> new ErrorKind(404, "invalid_request_error", "not_found_error");
            case ArbiterException.MethodNotAllowed m -> new ErrorKind(405, "invalid_request_error", "invalid_request_error");
            case ArbiterException.PayloadTooLarge p -> new ErrorKind(413, "invalid_request_error", "request_too_large");
            case ArbiterException.UnsupportedMediaType u -> new ErrorKind(415, "invalid_request_error", "invalid_request_error");
            case ArbiterException.RequestTimeout t -> new ErrorKind(408, "invalid_request_error", "invalid_request_error");
            case ArbiterException.Overloaded o -> o.rateLimited()
                    ? new ErrorKind(429, "rate_limit_error", "rate_limit_error")
                    : new ErrorKind(503, "server_error", "overloaded_error");
            case ArbiterException.DeadlineExceeded d -> new ErrorKind(504, "timeout_error", "timeout_error");
            case ArbiterException.Upstream u -> upstream(u.status());
            case ArbiterException.Internal i -> new ErrorKind(500, "server_error", "api_error");
        };
    }

    /**
     * An upstream's status as Arbiter answers it: the caller's own mistakes (400, 404, 413, 422) and rate
     * limits keep their status; an upstream's authentication failure is Arbiter's configuration problem and
     * becomes 502, like every 5xx and unreachable upstream; an upstream timeout is 504.
     */
    private static ErrorKind upstream(int status) {
        return switch (status) {
            case 400, 422 -> new ErrorKind(400, "invalid_request_error", "invalid_request_error");
            case 404 -> new ErrorKind(404, "invalid_request_error", "not_found_error");
            case 413 -> new ErrorKind(413, "invalid_request_error", "request_too_large");
            case 429 -> new ErrorKind(429, "rate_limit_error", "rate_limit_error");
            case 408, 504 -> new ErrorKind(504, "timeout_error", "timeout_error");
            case 529 -> new ErrorKind(503, "server_error", "overloaded_error");
            case 503 -> new ErrorKind(503, "server_error", "overloaded_error");
            default -> new ErrorKind(502, "upstream_error", "api_error");
        };
    }
}
