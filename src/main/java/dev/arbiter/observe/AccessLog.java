package dev.arbiter.observe;

import dev.arbiter.error.Untrusted;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One log line per request, on logger {@code arbiter.access}. Holds no request content and no secrets; the values a
 * caller chose (model name, path) are escaped and bounded, so a request cannot forge or bloat a line.
 */
public final class AccessLog implements OutcomeSink {
    /** Caller-supplied values (a requested model name, a path) are escaped and cut to this many characters. */
    static final int MAX_FIELD = 200;
    private static final Logger log = LoggerFactory.getLogger("arbiter.access");
    private final boolean structured;

    /** The text line only. */
    public AccessLog() {
        this(false);
    }

    /** @param structured also attach the line's fields as key-value pairs (written as JSON fields by {@link JsonLines}) */
    public AccessLog(boolean structured) {
        this.structured = structured;
    }

    @Override
    public void record(Outcome o) {
        if (!log.isInfoEnabled()) return;
        var sb = new StringBuilder(200).append("id=").append(o.requestId()).append(" op=").append(o.operation())
                .append(" model=").append(Untrusted.text(o.model() == null ? o.requestedModel() : o.model(), MAX_FIELD))
                .append(" deployment=").append(o.deployment()).append(" provider=").append(o.provider())
                .append(" stream=").append(o.streamed()).append(" status=").append(o.status());
        int attempts = o.attempts();
        if (attempts > 1) sb.append(" attempts=").append(attempts);
        if (o.joined()) sb.append(" dedup=joined");
        if (o.error() != null) sb.append(" error=").append(Untrusted.text(o.error(), MAX_FIELD));
        sb.append(" in=").append(o.usage().inputTokens()).append(" out=").append(o.usage().outputTokens());
        if (o.usage().estimated()) sb.append(" estimated=true");
        sb.append(" cost_usd=").append(String.format(Locale.ROOT, "%.6f", o.costUsd()))
                .append(" ms=").append(o.latencyNanos() / 1000 / 1000.0);
        if (o.ttftNanos() >= 0) sb.append(" ttft_ms=").append(o.ttftNanos() / 1000 / 1000.0);
        if (!structured) {
            log.info(sb.toString());
            return;
        }
        var e = log.atInfo().setMessage(sb.toString()).addKeyValue(JsonLines.REQUEST_ID, o.requestId())
                .addKeyValue("caller", o.caller()).addKeyValue("api", o.api()).addKeyValue("operation", o.operation())
                .addKeyValue("model", Untrusted.text(o.model() == null ? o.requestedModel() : o.model(), MAX_FIELD))
                .addKeyValue("deployment", o.deployment()).addKeyValue("provider", o.provider()).addKeyValue("stream", o.streamed())
                .addKeyValue("status", o.status()).addKeyValue("attempts", attempts)
                .addKeyValue("input_tokens", o.usage().inputTokens()).addKeyValue("output_tokens", o.usage().outputTokens())
                .addKeyValue("cost_usd", o.costUsd()).addKeyValue("latency_ms", o.latencyNanos() / 1e6);
        if (o.error() != null) e = e.addKeyValue("error", Untrusted.text(o.error(), MAX_FIELD));
        if (o.ttftNanos() >= 0) e = e.addKeyValue("ttft_ms", o.ttftNanos() / 1e6);
        e.log();
    }

    /**
     * The line of a request refused before it reached the pipeline (malformed or invalid body, shutting down), so
     * that every request the server answered leaves one line.
     */
    public static void rejected(String requestId, String path, int status, String error, long nanos) {
        if (!log.isInfoEnabled()) return;
        log.info("id=" + requestId + " path=" + Untrusted.text(path) + " status=" + status + " error=" + Untrusted.text(error)
                + " ms=" + nanos / 1000 / 1000.0);
    }

    /**
     * The line of a request answered outside the pipeline (models, health, stored responses, token counts, unknown
     * URLs and methods); {@code error} is null when it succeeded. The caller's method and path are escaped and bounded.
     */
    public static void answered(String requestId, String method, String path, int status, String error, long nanos) {
        if (!log.isInfoEnabled()) return;
        var sb = new StringBuilder(120).append("id=").append(requestId).append(" method=").append(Untrusted.text(method, 32))
                .append(" path=").append(Untrusted.text(path)).append(" status=").append(status);
        if (error != null) sb.append(" error=").append(Untrusted.text(error));
        log.info(sb.append(" ms=").append(nanos / 1000 / 1000.0).toString());
    }
}
