package dev.arbiter.wire;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.error.ErrorKind;

/** Error bodies in each API's own format. Only the exception's caller-facing message is ever shown. */
public final class ErrorBodies {
    private ErrorBodies() {}

    /** OpenAI's {@code {"error":{"message","type","param","code"}}}. */
    public static ObjectNode openAi(ArbiterException e, ErrorKind kind) {
        return openAi(e.getMessage(), kind.openAiType(), e.param(), e.code());
    }

    /** OpenAI's error body from its parts; {@code param} and {@code code} may be null. */
    public static ObjectNode openAi(String message, String type, String param, String code) {
        ObjectNode o = Json.object();
        ObjectNode err = o.putObject("error");
        err.put("message", message);
        err.put("type", type);
        if (param == null) err.putNull("param");
        else err.put("param", param);
        if (code == null) err.putNull("code");
        else err.put("code", code);
        return o;
    }

    /** Anthropic's {@code {"type":"error","error":{"type","message"},"request_id"}}. */
    public static ObjectNode anthropic(ArbiterException e, ErrorKind kind, String requestId) {
        return anthropic(e.getMessage(), kind.anthropicType(), requestId);
    }

    /** Anthropic's error body from its parts; {@code request_id} is Arbiter's request id ({@code x-request-id}). */
    public static ObjectNode anthropic(String message, String type, String requestId) {
        ObjectNode o = Json.object().put("type", "error");
        o.putObject("error").put("type", type).put("message", message);
        o.put("request_id", requestId);
        return o;
    }
}
