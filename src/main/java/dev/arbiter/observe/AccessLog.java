package dev.arbiter.observe;

import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One log line per request, on logger {@code arbiter.access}. Holds no request content and no secrets. */
public final class AccessLog implements OutcomeSink {
    private static final Logger log = LoggerFactory.getLogger("arbiter.access");

    @Override
    public void record(Outcome o) {
        if (!log.isInfoEnabled()) return;
        log.info(String.format(Locale.ROOT,
                "id=%s op=%s model=%s deployment=%s provider=%s stream=%s status=%d%s in=%d out=%d%s cost_usd=%.6f ms=%.2f%s",
                o.requestId(), o.operation(), o.model() == null ? o.requestedModel() : o.model(), o.deployment(), o.provider(),
                o.streamed(), o.status(), o.error() == null ? "" : " error=" + o.error(), o.usage().inputTokens(),
                o.usage().outputTokens(), o.usage().estimated() ? " estimated=true" : "", o.costUsd(),
                o.latencyNanos() / 1e6, o.ttftNanos() < 0 ? "" : String.format(Locale.ROOT, " ttft_ms=%.2f", o.ttftNanos() / 1e6)));
    }
}
