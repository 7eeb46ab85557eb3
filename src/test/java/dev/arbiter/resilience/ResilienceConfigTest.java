package dev.arbiter.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arbiter.cli.Sections;
import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.config.ConfigException;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.mock.MockProvider;
import dev.arbiter.route.ModelRegistry;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The per-model {@code retry} and {@code fallbacks} sections: bound, defaulted, and refused with their paths. */
class ResilienceConfigTest {
    private static ArbiterConfig parse(String yaml) {
        return Sections.loader(k -> null).parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "t.yaml");
    }

    @Test
    void retry_bound_orDefaulted() {
        var cfg = parse("""
                models:
                  - name: a
                    retry: {max-attempts: 5, backoff: linear, initial-delay: 50ms, max-delay: 2s, jitter: decorrelated}
                    deployments: [{name: d, provider: mock}]
                  - name: b
                    deployments: [{name: d, provider: mock}]
                """);
        assertThat(cfg.models().get(0).section(RetryConfig.SECTION)).isEqualTo(new RetryConfig(5, RetryConfig.Backoff.LINEAR,
                Duration.ofMillis(50), Duration.ofSeconds(2), RetryConfig.Jitter.DECORRELATED));
        assertThat(cfg.models().get(1).section(RetryConfig.SECTION)).isEqualTo(RetryConfig.DEFAULT);
        assertThat(cfg.models().get(1).section(Fallbacks.SECTION)).isEqualTo(Fallbacks.NONE);
    }

    @Test
    void retry_invalidValues_areProblemsWithTheirPaths() {
        assertThatThrownBy(() -> parse("""
                models:
                  - name: a
                    retry: {max-attempts: 0, backoff: cubic, jitter: some, initial-delay: 2s, max-delay: 1s}
                    deployments: [{name: d, provider: mock}]
                """)).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(String.join("\n", e.problems()))
                .contains("models[0].retry.backoff: cubic (expected: fixed | linear | exponential)")
                .contains("models[0].retry.jitter: some (expected: none | full | equal | decorrelated)"));
        assertThatThrownBy(() -> parse("""
                models:
                  - name: a
                    retry: {max-attempts: 0, initial-delay: 2s, max-delay: 1s}
                    deployments: [{name: d, provider: mock}]
                """)).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(String.join("\n", e.problems()))
                .contains("retry.max-attempts: 0 (expected: 1..20)")
                .contains("retry.max-delay"));
    }

    @Test
    void fallbacks_resolveByNameOrAlias_andBadNamesFailWithTheirPaths() {
        var cfg = parse("""
                models:
                  - name: a
                    fallbacks: [bee, c]
                    deployments: [{name: d, provider: mock}]
                  - name: b
                    aliases: [bee]
                    deployments: [{name: d, provider: mock}]
                  - name: c
                    deployments: [{name: d, provider: mock}]
                """);
        try (var registry = registry(cfg)) {
            assertThat(Fallbacks.chains(cfg, registry).get("a")).extracting(ModelRegistry.Model::name).containsExactly("b", "c");
        }
        var bad = parse("""
                models:
                  - name: a
                    fallbacks: [nope, a, e]
                    deployments: [{name: d, provider: mock}]
                  - name: e
                    embeddings: true
                    deployments: [{name: d, provider: mock}]
                """);
        try (var registry = registry(bad)) {
            assertThatThrownBy(() -> Fallbacks.chains(bad, registry)).isInstanceOfSatisfying(ConfigException.class,
                    e -> assertThat(e.problems()).hasSize(3).anySatisfy(p -> assertThat(p).startsWith("models[0].fallbacks[0]: nope"))
                            .anySatisfy(p -> assertThat(p).startsWith("models[0].fallbacks[1]: a"))
                            .anySatisfy(p -> assertThat(p).startsWith("models[0].fallbacks[2]: e")));
        }
    }

    @Test
    void fallbacks_chainsAreFollowed_breadthFirst_eachModelOnce_cyclesEnd() {
        var cfg = parse("""
                models:
                  - name: a
                    fallbacks: [b, c]
                    deployments: [{name: d, provider: mock}]
                  - name: b
                    fallbacks: [d, a]
                    deployments: [{name: d, provider: mock}]
                  - name: c
                    fallbacks: [b, e]
                    deployments: [{name: d, provider: mock}]
                  - name: d
                    fallbacks: [c]
                    deployments: [{name: d, provider: mock}]
                  - name: e
                    deployments: [{name: d, provider: mock}]
                """);
        try (var registry = registry(cfg)) {
            var chains = Fallbacks.chains(cfg, registry);
            assertThat(chains.get("a")).extracting(ModelRegistry.Model::name).containsExactly("b", "c", "d", "e");
            assertThat(chains.get("b")).extracting(ModelRegistry.Model::name).containsExactly("d", "a", "c", "e");
            assertThat(chains.get("d")).extracting(ModelRegistry.Model::name).containsExactly("c", "b", "e", "a");
            assertThat(chains).doesNotContainKey("e");
        }
    }

    private static ModelRegistry registry(ArbiterConfig cfg) {
        return new ModelRegistry(cfg, d -> new MockProvider(d.section(MockConfig.SECTION)), d -> WireFormat.OPENAI_CHAT);
    }
}
