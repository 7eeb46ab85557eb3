package dev.arbiter.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.error.ErrorKind;

/** Error bodies in each API's own format. Only the exception's caller-facing message is ever shown. */
public final class ErrorBodies {
    private ErrorBodies() {}

    /** OpenAI's {@code {"error":{"message","type","param","code"}}}. */
    public static ObjectNode openAi(ArbiterException e, ErrorKind kind) {
        ObjectNode o = Json.object();
        ObjectNode err = o.putObject("error");
        err.put("message", e.getMessage());
        err.put("type", kind.openAiType());
        if (e.param() == null) err.putNull("param");
        else err.put("param", e.param());
        if (e.code() == null) err.putNull("code");
        else err.put("code", e.code());
        return o;
    }

    /** Anthropic's {@code {"type":"error","error":{"type","message"}}}. */
    public static ObjectNode anthropic(ArbiterException e, ErrorKind kind) {
        ObjectNode o = Json.object().put("type", "error");
        o.putObject("error").put("type", kind.anthropicType()).put("message", e.getMessage());
        return o;
    }
}
