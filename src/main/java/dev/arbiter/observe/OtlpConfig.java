package dev.arbiter.observe;

import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigNode;
import dev.arbiter.config.Secret;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code observe.otlp} block: where OpenTelemetry traces go. Tracing is off unless {@code endpoint} is set.
 *
 * @param endpoint an OTLP/HTTP receiver; a URL without a path gets {@code /v1/traces}, one with a path is used as written
 * @param headers sent with every export (e.g. a vendor's API key); values are credentials, never shown
 * @param sampleRatio the share of new traces recorded, 0..1; a caller's {@code traceparent} decides for its own trace
 * @param serviceName the {@code service.name} of the exported spans
 * @param timeout how long one export may take before it is abandoned (spans are exported off the request path)
 * @param queueSize how many finished spans may wait for export; more are dropped, never waited for
 * @param exportInterval how long finished spans may wait before they are sent (a full batch goes at once)
 */
public record OtlpConfig(URI endpoint, Map<String, Secret> headers, double sampleRatio, String serviceName, Duration timeout,
                         int queueSize, Duration exportInterval) {
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

    /** Tracing off. */
    public static final OtlpConfig OFF = new OtlpConfig(null, Map.of(), 1.0, "arbiter", Duration.ofSeconds(10), 2048,
            Duration.ofSeconds(5));

    public OtlpConfig {
        headers = headers == null ? Map.of() : Map.copyOf(headers);
        var checks = new ConfigException.Checks()
                .require(endpoint == null || endpoint.isAbsolute() && endpoint.getHost() != null
                        && ("http".equals(endpoint.getScheme()) || "https".equals(endpoint.getScheme()))
                        && endpoint.getQuery() == null && endpoint.getFragment() == null,
                        "otlp.endpoint", endpoint, "an http(s) URL of an OTLP/HTTP receiver, e.g. http://localhost:4318")
                .require(endpoint != null || headers.isEmpty(), "otlp.endpoint", "missing",
                        "the receiver's URL, which otlp.headers are sent to")
                .require(sampleRatio >= 0 && sampleRatio <= 1, "otlp.sample-ratio", sampleRatio, "a number from 0 to 1")
                .require(serviceName != null && !serviceName.isBlank(), "otlp.service-name", serviceName, "a non-empty name")
                .require(timeout != null && !timeout.isNegative() && !timeout.isZero() && timeout.compareTo(Duration.ofMinutes(1)) <= 0,
                        "otlp.timeout", timeout, "a duration from 1ms to 1m")
                .require(queueSize >= 1 && queueSize <= 1_000_000, "otlp.queue-size", queueSize, "1..1000000")
                .require(exportInterval != null && !exportInterval.isNegative() && !exportInterval.isZero()
                        && exportInterval.compareTo(Duration.ofMinutes(10)) <= 0, "otlp.export-interval", exportInterval,
                        "a duration from 1ms to 10m");
        for (var h : headers.entrySet()) {
            checks.require(HEADER_NAME.matcher(h.getKey()).matches(), "otlp.headers." + h.getKey(), "a header name",
                    "letters, digits and !#$%&'*+.^_`|~-");
            checks.require(h.getValue() != null && !h.getValue().isEmpty() && h.getValue().reveal().chars().noneMatch(c -> c < 0x20 && c != '\t'),
                    "otlp.headers." + h.getKey(), "(hidden)", "a non-empty value without control characters");
        }
        checks.throwIfAny();
    }

    /** Whether traces are exported: {@code endpoint} is set. */
    public boolean configured() {
        return endpoint != null;
    }

    /** The URL spans are posted to: {@code endpoint}, with {@code /v1/traces} when it has no path. */
    public URI tracesUrl() {
        String path = endpoint.getPath();
        return path == null || path.isEmpty() || "/".equals(path) ? endpoint.resolve("/v1/traces") : endpoint;
    }

    /** Reads the block at {@code n} (absent: {@link #OFF}); its problems go on the node. */
    static OtlpConfig bind(ConfigNode n) {
        if (!n.present()) return OFF;
        if (!n.has("endpoint")) {
            n.problem(n.path() + ".endpoint", "missing", "the URL of an OTLP/HTTP receiver, e.g. http://localhost:4318"
                    + " (without an otlp block, tracing is off)");
        }
        URI endpoint = n.uri("endpoint");
        var headers = new LinkedHashMap<String, Secret>();
        ConfigNode h = n.child("headers");
        for (String k : h.fieldNames()) {
            Secret v = h.secret(k);
            if (v != null) headers.put(k, v);
        }
        double ratio = n.number("sample-ratio", OFF.sampleRatio());
        String service = n.string("service-name", OFF.serviceName());
        Duration timeout = n.duration("timeout", OFF.timeout());
        int queue = n.integer("queue-size", OFF.queueSize());
        Duration interval = n.duration("export-interval", OFF.exportInterval());
        OtlpConfig c = n.build(() -> new OtlpConfig(endpoint, headers, ratio, service, timeout, queue, interval));
        return c == null ? OFF : c;
    }

    @Override
    public String toString() {
        return "OtlpConfig[endpoint=" + endpoint + ", headers=" + headers.keySet() + ", sampleRatio=" + sampleRatio
                + ", serviceName=" + serviceName + ", timeout=" + timeout + ", queueSize=" + queueSize + ", exportInterval=" + exportInterval + "]";
    }
}
