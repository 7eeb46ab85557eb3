package dev.arbiter.mock;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigLoader;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A deployment's {@code mock:} block, bound by {@link MockConfig#SECTION}. */
class MockConfigSectionTest {
    private static ArbiterConfig parse(String mock) {
        String yaml = "models: [{name: m, deployments: [{provider: mock, mock: " + mock + "}]}]";
        return new ConfigLoader(k -> null, List.of(MockConfig.SECTION))
                .parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "t.yaml");
    }

    private static List<String> problems(String mock) {
        try {
            parse(mock);
        } catch (ConfigException e) {
            return e.problems();
        }
        throw new AssertionError("accepted " + mock);
    }

    @Test
    void mockBlock_bound() {
        var d = parse("{latency: 5ms, output-tokens: 4, faults: {error-rate: 0.5, error-statuses: [503]}}")
                .models().getFirst().deployments().getFirst();
        var mock = d.section(MockConfig.SECTION);
        assertThat(mock.latency().mean()).isEqualTo(Duration.ofMillis(5));
        assertThat(mock.outputTokens()).isEqualTo(4);
        assertThat(mock.faults().errorRate()).isEqualTo(0.5);
        assertThat(mock.faults().errorStatuses()).containsExactly(503);
    }

    @Test
    void mockBlock_latencyDistribution_bound() {
        var mock = parse("{latency: {distribution: uniform, mean: 100ms, spread: 20ms}}").models().getFirst()
                .deployments().getFirst().section(MockConfig.SECTION);
        assertThat(mock.latency()).isEqualTo(new MockConfig.Latency("uniform", Duration.ofMillis(100), Duration.ofMillis(20)));
    }

    @Test
    void mockBlock_problems_haveTheirPaths() {
        assertThat(problems("{output-tokens: 0, latency: {distribution: zipf}, faults: {error-rate: 2, colour: red}, size: 1}"))
                .containsExactlyInAnyOrder(
                        "models[0].deployments[0].mock.latency.distribution: zipf (expected: fixed, uniform, normal, lognormal)",
                        "models[0].deployments[0].mock.faults.error-rate: 2.0 (expected: a probability 0..1)",
                        "models[0].deployments[0].mock.output-tokens: 0 (expected: 1..100000)",
                        "models[0].deployments[0].mock.faults.colour: unknown key (expected: one of error-rate, error-statuses, "
                                + "rate-limit-rate, retry-after, hang-rate, reset-rate, malformed-rate, drop-rate, drop-after-tokens)",
                        "models[0].deployments[0].mock.size: unknown key (expected: one of latency, ttft, tokens-per-second, "
                                + "output-tokens, embedding-dimensions, faults, seed)");
    }
}
