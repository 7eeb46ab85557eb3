package dev.arbiter.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.config.ConfigException;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.reasoning.ReasoningConfig;
import dev.arbiter.store.StoreConfig;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Arbiter's own sections, as registered once here: the shipped example binds, and their problems read as before. */
class SectionsTest {
    private static ConfigException problems(String yaml) {
        try {
            Sections.loader(k -> null).parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "t.yaml");
        } catch (ConfigException e) {
            return e;
        }
        throw new AssertionError("accepted " + yaml);
    }

    @Test
    void load_shippedExampleConfig_bindsEverySection() {
        var env = Map.of("OPENAI_API_KEY", "sk-a", "ANTHROPIC_API_KEY", "sk-b", "AZURE_OPENAI_API_KEY", "k",
                "ARBITER_REASONING_KEY", "r");
        var cfg = Sections.loader(env::get).load(Path.of("config/arbiter.example.yaml"));
        assertThat(cfg.models()).isNotEmpty();
        assertThat(cfg.section(ReasoningConfig.SECTION).key().source()).isEqualTo("${ARBITER_REASONING_KEY:-}");
        assertThat(cfg.section(StoreConfig.SECTION)).isEqualTo(new StoreConfig(10000, 268435456, Duration.ofHours(24)));
        assertThat(cfg.models().stream().flatMap(m -> m.deployments().stream()).filter(d -> d.provider().equals("mock"))
                .map(d -> d.section(MockConfig.SECTION))).isNotEmpty().doesNotContainNull();
    }

    @Test
    void parse_unknownTopLevelKey_listsEverySection() {
        assertThat(problems("models: [{name: m, deployments: [{provider: mock}]}]\nsurprise: 1\n").problems())
                .containsExactly("surprise: unknown key (expected: one of server, limits, models, postgres, redis, observe, analyzer, reasoning, responses, resilience, routes, catalog, auth, keys, rate-limits, budgets, cache)");
    }

    @Test
    void parse_sectionProblems_keepTheirPathsAndHideSecrets() {
        var e = problems("""
                reasoning: {key: [hunter2-reasoning], salt: 1}
                responses: {max-entries: 0, ttl: forever}
                models: [{name: m, deployments: [{provider: mock}]}]
                """);
        assertThat(e.problems()).containsExactlyInAnyOrder(
                "reasoning.key: (hidden) (expected: a string)",
                "reasoning.salt: unknown key (expected: key (the reasoning envelope's HMAC key))",
                "responses.max-entries: 0 (expected: >= 1)",
                "responses.ttl: forever (expected: a duration such as 500ms, 30s, 5m, 1h or 30d)");
    }
}
