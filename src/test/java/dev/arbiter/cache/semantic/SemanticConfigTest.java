package dev.arbiter.cache.semantic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigLoader;
import dev.arbiter.config.Section;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The block as the cache's config will nest it; registered here under a top-level key of its own. */
class SemanticConfigTest {
    private static final Section<SemanticConfig> SECTION = Section.top("semantic", SemanticConfig.DEFAULT, SemanticConfig::bind);

    private static ArbiterConfig parse(String yaml) {
        yaml = yaml + "\nmodels: [{name: m, deployments: [{provider: mock}]}]\n";
        return new ConfigLoader(k -> null, List.of(SECTION)).parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "t.yaml");
    }

    private static List<String> problems(String yaml) {
        try {
            parse(yaml);
        } catch (ConfigException e) {
            return e.problems();
        }
        throw new AssertionError("accepted " + yaml);
    }

    @Test
    void bind_allKeys_read() {
        var c = parse("""
                semantic: {threshold: 0.9, model: all-minilm-l6-v2, max-entries: 5000, guards: [numbers, entities],
                           candidates: 2, max-prompt-chars: 500, refresh-interval: 250ms}
                """).section(SECTION);
        assertThat(c).isEqualTo(new SemanticConfig(0.9, "all-minilm-l6-v2", 5000, EnumSet.of(Guard.NUMBERS, Guard.ENTITIES), 2, 500,
                Duration.ofMillis(250)));
    }

    @Test
    void bind_absentKeys_keepDefaults() {
        assertThat(parse("semantic: {}").section(SECTION)).isEqualTo(SemanticConfig.DEFAULT);
        assertThat(parse("semantic: {guards: []}").section(SECTION).guards()).isEmpty();
    }

    @Test
    void bind_badValues_rejectedWithPathAndExpectation() {
        assertThat(problems("semantic: {threshold: 1.5, model: bge-large, guards: [numbers, dates]}")).anySatisfy(p ->
                assertThat(p).contains("semantic.threshold").contains("1.5").contains("(0, 1]"))
                .anySatisfy(p -> assertThat(p).contains("semantic.model").contains("bge-large").contains("all-minilm-l6-v2-q"))
                .anySatisfy(p -> assertThat(p).contains("semantic.guards").contains("dates"));
    }
}
