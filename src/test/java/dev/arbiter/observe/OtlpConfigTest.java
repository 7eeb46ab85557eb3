package dev.arbiter.observe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigLoader;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code observe.otlp} block: off unless set, bound with its defaults, and every bad value named by its path. */
class OtlpConfigTest {
    private static final Map<String, String> ENV = Map.of("HONEYCOMB_KEY", "hc-secret-value-123");

    private static ArbiterConfig parse(String observe) {
        String yaml = "observe: " + observe + "\nmodels: [{name: m, deployments: [{provider: mock}]}]";
        return new ConfigLoader(ENV::get, List.of(ObserveConfig.SECTION))
                .parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "t.yaml");
    }

    private static OtlpConfig otlp(String observe) {
        return parse(observe).section(ObserveConfig.SECTION).otlp();
    }

    private static List<String> problems(String observe) {
        try {
            parse(observe);
        } catch (ConfigException e) {
            return e.problems();
        }
        throw new AssertionError("accepted " + observe);
    }

    @Test
    void absent_tracingOff() {
        assertThat(otlp("{json-logs: false}").configured()).isFalse();
        assertThat(ObserveConfig.DEFAULT.otlp().configured()).isFalse();
    }

    @Test
    void endpointOnly_defaults() {
        OtlpConfig c = otlp("{otlp: {endpoint: \"http://127.0.0.1:4318\"}}");
        assertThat(c.configured()).isTrue();
        assertThat(c.tracesUrl()).isEqualTo(URI.create("http://127.0.0.1:4318/v1/traces"));
        assertThat(c.sampleRatio()).isEqualTo(1.0);
        assertThat(c.serviceName()).isEqualTo("arbiter");
        assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.exportInterval()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void everyKey_bound_headersHidden() {
        OtlpConfig c = otlp("""
                {otlp: {endpoint: "https://api.honeycomb.io/v1/traces", headers: {x-honeycomb-team: "${HONEYCOMB_KEY}"},
                 sample-ratio: 0.25, service-name: gw-eu, timeout: 3s, queue-size: 100, export-interval: 200ms}}""");
        assertThat(c.tracesUrl()).isEqualTo(URI.create("https://api.honeycomb.io/v1/traces"));
        assertThat(c.headers().get("x-honeycomb-team").reveal()).isEqualTo("hc-secret-value-123");
        assertThat(c.sampleRatio()).isEqualTo(0.25);
        assertThat(c.serviceName()).isEqualTo("gw-eu");
        assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.queueSize()).isEqualTo(100);
        assertThat(c.exportInterval()).isEqualTo(Duration.ofMillis(200));
        assertThat(c.toString()).doesNotContain("hc-secret-value-123");
    }

    @Test
    void badValues_namedByPath() {
        assertThat(problems("{otlp: {endpoint: \"ftp://collector\", sample-ratio: 1.5, timeout: 0s, queue-size: 0}}"))
                .containsExactlyInAnyOrder(
                        "observe.otlp.endpoint: ftp://collector (expected: an http(s) URL of an OTLP/HTTP receiver, e.g. http://localhost:4318)",
                        "observe.otlp.sample-ratio: 1.5 (expected: a number from 0 to 1)",
                        "observe.otlp.timeout: PT0S (expected: a duration from 1ms to 1m)",
                        "observe.otlp.queue-size: 0 (expected: 1..1000000)");
    }

    @Test
    void missingEndpoint_isAProblem() {
        assertThat(problems("{otlp: {sample-ratio: 0.5}}")).singleElement().asString()
                .startsWith("observe.otlp.endpoint: missing (expected: the URL of an OTLP/HTTP receiver");
    }

    @Test
    void unknownKey_listsTheKnownOnes() {
        assertThat(problems("{otlp: {endpoint: \"http://c:4318\", protocol: grpc}}")).singleElement().asString()
                .startsWith("observe.otlp.protocol: unknown key (expected: one of endpoint, headers, sample-ratio, service-name");
    }

    @Test
    void badHeaderValue_neverShown() {
        var p = problems("{otlp: {endpoint: \"http://c:4318\", headers: {authorization: \"\", x-key: [sk-live-abcdef123456]}}}");
        assertThat(p).isNotEmpty().allSatisfy(line -> assertThat(line).doesNotContain("sk-live-abcdef123456"));
    }
}
