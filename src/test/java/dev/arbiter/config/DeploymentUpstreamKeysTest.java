package dev.arbiter.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The per-deployment keys about the upstream's answers and its TLS: defaults, values, and their problems. */
class DeploymentUpstreamKeysTest {
    private static ArbiterConfig parse(String deployment) {
        String yaml = "models:\n  - name: m\n    deployments: [" + deployment + "]\n";
        return new ConfigLoader(k -> null).parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "t.yaml");
    }

    private static String problems(String deployment) {
        try {
            parse(deployment);
        } catch (ConfigException e) {
            return String.join("\n", e.problems());
        }
        throw new AssertionError("accepted " + deployment);
    }

    @Test
    void answerBounds_defaultsAndValues() {
        var d = parse("{provider: openai, base-url: \"http://127.0.0.1:1/v1\"}").models().getFirst().deployments().getFirst();
        assertThat(d.maxResponseBytes()).isEqualTo(64 * 1024 * 1024);
        assertThat(d.maxEventBytes()).isEqualTo(16 * 1024 * 1024);
        assertThat(d.tls()).isNull();
        d = parse("{provider: openai, base-url: \"http://127.0.0.1:1/v1\", max-response-bytes: 2048, max-event-bytes: 1024}")
                .models().getFirst().deployments().getFirst();
        assertThat(d.maxResponseBytes()).isEqualTo(2048);
        assertThat(d.maxEventBytes()).isEqualTo(1024);
    }

    @Test
    void answerBounds_outOfRange_problemsNameThem() {
        assertThat(problems("{provider: openai, base-url: \"http://127.0.0.1:1/v1\", max-response-bytes: 10}"))
                .contains("max-response-bytes: 10 (expected: from 1024 to 1073741824)");
        assertThat(problems("{provider: openai, base-url: \"http://127.0.0.1:1/v1\", max-event-bytes: 2147483647}"))
                .contains("max-event-bytes: 2147483647 (expected: from 1024 to 1073741824)");
    }

    @Test
    void tls_notPemOrWithoutCaFileOrUnknownKey_problems() {
        assertThat(problems("{provider: openai, base-url: \"http://127.0.0.1:1/v1\", tls: {ca-file: pom.xml}}"))
                .contains("tls").contains("expected: a PEM file of X.509 certificates");
        assertThat(problems("{provider: openai, base-url: \"https://127.0.0.1:1/v1\", tls: {}}"))
                .contains("tls.ca-file");
        assertThat(problems("{provider: openai, base-url: \"https://127.0.0.1:1/v1\", tls: {insecure: true}}"))
                .contains("insecure");
    }
}
