package dev.arbiter.limit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arbiter.cli.Sections;
import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.config.ConfigException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The config of adaptive concurrency, deployment and model limits and per-class queue timeouts, through the loader. */
class ConcurrencyConfigTest {
    static ArbiterConfig parse(String yaml) {
        return Sections.loader(k -> null).parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "test.yaml");
    }

    private static String deployment(String extra) {
        return "models:\n  - name: m\n    limits: {tpm: 5000}\n    deployments: [{name: d, provider: mock" + extra + "}]\n";
    }

    @Test
    void blocks_bind_withDefaults() {
        var cfg = parse("limits: {queue-timeouts: {low: 300ms, critical: 20s}}\n"
                + deployment(", concurrency: {adaptive: true, max: 50}, limits: {rpm: 80, tpm: 100000}"));
        var d = cfg.models().getFirst().deployments().getFirst();
        assertThat(d.section(ConcurrencyConfig.SECTION)).isEqualTo(new ConcurrencyConfig(true, 20, 1, 50, 0.9, 50));
        assertThat(d.section(LimitSpec.DEPLOYMENT).rules()).hasSize(2);
        assertThat(cfg.models().getFirst().section(LimitSpec.MODEL).rules()).hasSize(1);
        assertThat(cfg.limits().queueTimeoutsByClass())
                .containsExactly(Duration.ofSeconds(20), Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofMillis(300));
        assertThat(parse(deployment("")).models().getFirst().deployments().getFirst().section(ConcurrencyConfig.SECTION).adaptive())
                .isFalse();
    }

    @Test
    void badValues_nameThePathAndWhatWasExpected() {
        assertThatThrownBy(() -> parse(deployment(", concurrency: {adaptive: true, min: 0, initial: 500, backoff: 0.2}")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("concurrency.min").hasMessageContaining(">= 1")
                .hasMessageContaining("concurrency.initial").hasMessageContaining("concurrency.backoff");
        assertThatThrownBy(() -> parse("limits: {queue-timeouts: {urgent: 1s}}\n" + deployment("")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("limits.queue-timeouts.urgent")
                .hasMessageContaining("critical");
        assertThatThrownBy(() -> parse(deployment(", limits: {rpm: -3}")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("limits");
    }
}
