package dev.arbiter.resilience;

import dev.arbiter.error.ArbiterException;
import java.util.Locale;

/**
 * What a failed attempt allows next. The table (issue 17): connect errors, resets, timeouts, 408, 409, 425, 429,
 * 500, 502, 503, 504, 529 and malformed upstream answers are transient; 400, 401, 403, 404, 413, 422, content-policy
 * refusals and everything Arbiter decided itself (bad input, the deadline, a cancelled call) are final; a
 * context-length refusal goes to a fallback model, never to the same one again.
 */
public enum FailureClass {
    /** May succeed if sent again, here or elsewhere. */
    TRANSIENT,
    /** This deployment cannot take it now (its in-flight limit is full, its TLS is broken); another may. */
    ELSEWHERE,
    /** The prompt is too long for this model; a fallback model (another model, larger if known) may take it. */
    CONTEXT_LENGTH,
    /** Sending it again cannot help. */
    FINAL;

    public static FailureClass of(ArbiterException failure) {
        return switch (failure) {
            case ArbiterException.Upstream u -> upstream(u);
            case ArbiterException.Overloaded o -> ELSEWHERE;
            default -> FINAL;
        };
    }

    private static FailureClass upstream(ArbiterException.Upstream u) {
        String code = u.code() == null ? "" : u.code();
        if (code.equals("cancelled")) return FINAL;   // the client went away
        if (code.equals("upstream_tls_error")) return ELSEWHERE;
        return switch (u.status()) {
            case 0, 408, 409, 425, 429, 500, 502, 503, 504, 529 -> TRANSIENT;
            case 400, 413, 422 -> contextLength(u.getMessage()) ? CONTEXT_LENGTH : FINAL;
            default -> FINAL;
        };
    }

    /**
     * Whether an upstream's refusal says the prompt is longer than the model's context: OpenAI's
     * {@code context_length_exceeded}, vLLM's and llama.cpp's "maximum context length" / "exceeds the available
     * context size", Anthropic's "prompt is too long". The upstream's own message is part of Arbiter's summary for
     * 400, 413 and 422.
     */
    static boolean contextLength(String message) {
        if (message == null) return false;
        String m = message.toLowerCase(Locale.ROOT);
        return m.contains("context_length_exceeded") || m.contains("context length") || m.contains("context window")
                || m.contains("context size") || m.contains("prompt is too long") || m.contains("too many tokens");
    }
}
