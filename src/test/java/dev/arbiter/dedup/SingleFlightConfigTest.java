package dev.arbiter.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arbiter.cli.Sections;
import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.config.ConfigException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code models[].single-flight}: a boolean or a mapping, defaulted when absent, refused with its path. */
class SingleFlightConfigTest {
    private static ArbiterConfig parse(String yaml) {
        return Sections.loader(k -> null).parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "t.yaml");
    }

    @Test
    void singleFlight_booleanOrMapping_orDefaulted() {
        var cfg = parse("""
                models:
                  - name: a
                    single-flight: false
                    deployments: [{name: d, provider: mock}]
                  - name: b
                    single-flight: {share-sampled: true, max-replay-bytes: 4096}
                    deployments: [{name: d, provider: mock}]
                  - name: c
                    deployments: [{name: d, provider: mock}]
                  - name: e
                    single-flight: true
                    deployments: [{name: d, provider: mock}]
                """);
        assertThat(cfg.models().get(0).section(SingleFlightConfig.SECTION).enabled()).isFalse();
        assertThat(cfg.models().get(1).section(SingleFlightConfig.SECTION)).isEqualTo(new SingleFlightConfig(true, true, 4096));
        assertThat(cfg.models().get(2).section(SingleFlightConfig.SECTION)).isEqualTo(SingleFlightConfig.DEFAULT);
        assertThat(cfg.models().get(3).section(SingleFlightConfig.SECTION)).isEqualTo(SingleFlightConfig.DEFAULT);
        assertThat(SingleFlightConfig.DEFAULT.enabled()).isTrue();
        assertThat(SingleFlightConfig.DEFAULT.shareSampled()).isFalse();
    }

    @Test
    void singleFlight_invalid_isAProblemWithItsPath() {
        assertThatThrownBy(() -> parse("""
                models:
                  - name: a
                    single-flight: sometimes
                    deployments: [{name: d, provider: mock}]
                """)).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(String.join("\n", e.problems()))
                .contains("models[0].single-flight: sometimes (expected: true, false or a mapping"));
        assertThatThrownBy(() -> parse("""
                models:
                  - name: a
                    single-flight: {max-replay-bytes: -1, share: yes}
                    deployments: [{name: d, provider: mock}]
                """)).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(String.join("\n", e.problems()))
                .contains("models[0].single-flight.max-replay-bytes: -1 (expected: 0..1073741824)")
                .contains("models[0].single-flight.share: unknown key"));
    }
}
