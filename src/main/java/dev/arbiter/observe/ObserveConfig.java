package dev.arbiter.observe;

import dev.arbiter.config.ConfigException;
import dev.arbiter.config.Section;
import java.time.Duration;

/**
 * The top-level {@code observe:} block: whether every request's record goes to the PostgreSQL request log (needs
 * {@code postgres:}), how long rows are kept, how many records may wait in memory while PostgreSQL is slow or down,
 * whether log lines are JSON objects (with the request id and the access line's fields) instead of text, and where
 * OpenTelemetry traces are exported ({@code otlp}, off unless set), and whether prompts and completions are logged,
 * redacted ({@code log-content}, off unless set).
 */
public record ObserveConfig(boolean requestLog, Duration retention, int bufferSize, boolean jsonLogs, OtlpConfig otlp,
                            ContentLogConfig logContent) {
    public static final ObserveConfig DEFAULT = new ObserveConfig(false, Duration.ofDays(30), 100_000, false, OtlpConfig.OFF,
            ContentLogConfig.OFF);

    public static final Section<ObserveConfig> SECTION = Section.top("observe", DEFAULT, n -> new ObserveConfig(
            n.bool("request-log", DEFAULT.requestLog()), n.duration("retention", DEFAULT.retention()),
            n.integer("buffer-size", DEFAULT.bufferSize()), n.bool("json-logs", DEFAULT.jsonLogs()),
            OtlpConfig.bind(n.child("otlp")), ContentLogConfig.bind(n.child("log-content"))));

    public ObserveConfig(boolean requestLog, Duration retention, int bufferSize) {
        this(requestLog, retention, bufferSize, false);
    }

    public ObserveConfig(boolean requestLog, Duration retention, int bufferSize, boolean jsonLogs) {
        this(requestLog, retention, bufferSize, jsonLogs, OtlpConfig.OFF);
    }

    public ObserveConfig(boolean requestLog, Duration retention, int bufferSize, boolean jsonLogs, OtlpConfig otlp) {
        this(requestLog, retention, bufferSize, jsonLogs, otlp, ContentLogConfig.OFF);
    }

    public ObserveConfig {
        otlp = otlp == null ? OtlpConfig.OFF : otlp;
        logContent = logContent == null ? ContentLogConfig.OFF : logContent;
        ConfigException.require(retention != null && !retention.isNegative() && !retention.isZero(), "observe.retention",
                retention, "a positive duration");
        ConfigException.require(bufferSize >= 100 && bufferSize <= 10_000_000, "observe.buffer-size", bufferSize, "100..10000000");
    }
}
