package dev.arbiter.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/**
 * A new config section is its record plus one registration: the records below stand for coming features (a Redis
 * client at the top, fallbacks per model, a breaker per deployment), each registered only in this test's list.
 */
class SectionTest {
    record Redis(URI url, Secret password) {
        static final Section<Redis> SECTION = Section.top("redis", new Redis(URI.create("redis://127.0.0.1:6379"), null),
                n -> new Redis(n.uri("url"), n.secret("password")));

        Redis {
            ConfigException.require(url != null && "redis".equals(url.getScheme()), "redis.url", url, "a redis:// URL");
        }
    }

    record Fallbacks(List<String> models) {
        static final Section<Fallbacks> SECTION = Section.perModel("fallbacks", new Fallbacks(List.of()),
                n -> new Fallbacks(n.items().stream().map(ConfigNode::text).filter(Objects::nonNull).toList()));
    }

    record Breaker(int failures, Duration openFor) {
        static final Breaker DEFAULT = new Breaker(5, Duration.ofSeconds(30));
        static final Section<Breaker> SECTION = Section.perDeployment("circuit-breaker", DEFAULT,
                n -> new Breaker(n.integer("failures", DEFAULT.failures()), n.duration("open-for", DEFAULT.openFor())));

        Breaker {
            ConfigException.require(failures >= 1, "circuit-breaker.failures", failures, ">= 1");
        }
    }

    private static final List<Section<?>> SECTIONS = List.of(Redis.SECTION, Fallbacks.SECTION, Breaker.SECTION);

    private static ArbiterConfig parse(List<Section<?>> sections, String yaml) {
        return new ConfigLoader(Map.of("REDIS_PASSWORD", "hunter2")::get, sections)
                .parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "t.yaml");
    }

    private static List<String> problems(List<Section<?>> sections, String yaml) {
        try {
            parse(sections, yaml);
        } catch (ConfigException e) {
            return e.problems();
        }
        throw new AssertionError("accepted " + yaml);
    }

    @Test
    void section_registered_isBoundAtItsScope() {
        var cfg = parse(SECTIONS, """
                redis: {url: "redis://cache:6379", password: "${REDIS_PASSWORD}"}
                models:
                  - name: m
                    fallbacks: [n]
                    deployments: [{provider: mock, circuit-breaker: {failures: 3, open-for: 10s}}]
                  - {name: n, deployments: [{provider: mock}]}
                """);
        assertThat(cfg.section(Redis.SECTION).url()).isEqualTo(URI.create("redis://cache:6379"));
        assertThat(cfg.section(Redis.SECTION).password().reveal()).isEqualTo("hunter2");
        assertThat(cfg.section(Redis.SECTION).password().source()).isEqualTo("${REDIS_PASSWORD}");
        var m = cfg.models().getFirst();
        assertThat(m.section(Fallbacks.SECTION).models()).containsExactly("n");
        assertThat(m.deployments().getFirst().section(Breaker.SECTION)).isEqualTo(new Breaker(3, Duration.ofSeconds(10)));
        var n = cfg.models().get(1);
        assertThat(n.section(Fallbacks.SECTION).models()).isEmpty();
        assertThat(n.deployments().getFirst().section(Breaker.SECTION)).isSameAs(Breaker.DEFAULT);
    }

    @Test
    void section_absent_readsAsItsDefault() {
        var cfg = parse(SECTIONS, "models: [{name: m, deployments: [{provider: mock}]}]");
        assertThat(cfg.section(Redis.SECTION)).isSameAs(Redis.SECTION.defaults());
        assertThat(cfg.sections().bound(Redis.SECTION)).isFalse();
    }

    @Test
    void section_problems_reportedAtOnceEachWithItsPath() {
        var problems = problems(SECTIONS, """
                redis: {url: "http://cache", db: 2}
                models:
                  - name: m
                    fallbacks: {model: n}
                    deployments: [{provider: mock, circuit-breaker: {failures: 0, open-for: soon, colour: red}}]
                """);
        assertThat(problems).containsExactlyInAnyOrder(
                "redis.url: http://cache (expected: a redis:// URL)",
                "redis.db: unknown key (expected: one of url, password)",
                "models[0].fallbacks: {\"model\":\"n\"} (expected: a list)",
                "models[0].deployments[0].circuit-breaker.open-for: soon (expected: a duration such as 500ms, 30s, 5m, 1h or 30d)",
                "models[0].deployments[0].circuit-breaker.failures: 0 (expected: >= 1)",
                "models[0].deployments[0].circuit-breaker.colour: unknown key (expected: one of failures, open-for)");
    }

    @Test
    void unknownKey_listsTheRegisteredSectionsAmongTheExpectedKeys() {
        var problems = problems(SECTIONS, """
                redis: {url: "redis://cache"}
                models: [{name: m, colour: red, deployments: [{provider: mock, colour: blue}]}]
                surprise: 1
                """);
        assertThat(problems).contains(
                "surprise: unknown key (expected: one of server, limits, models, redis)",
                "models[0].colour: unknown key (expected: one of name, aliases, embeddings, deployments, fallbacks)");
        assertThat(problems).anySatisfy(p -> assertThat(p)
                .startsWith("models[0].deployments[0].colour: unknown key (expected: one of name, provider, model, base-url")
                .endsWith(", tls, circuit-breaker)"));
    }

    @Test
    void section_notRegistered_isAnUnknownKey() {
        assertThat(problems(List.of(), """
                redis: {url: "redis://cache"}
                models: [{name: m, deployments: [{provider: mock}]}]
                """)).containsExactly("redis: unknown key (expected: one of server, limits, models)");
    }

    @Test
    void register_twoSectionsOnOneKeyOrACoreKey_rejectedAtOnce() {
        var again = Section.top("redis", "x", n -> "y");
        assertThatThrownBy(() -> new ConfigLoader(k -> null, List.of(Redis.SECTION, again)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("redis");
        assertThatThrownBy(() -> new ConfigLoader(k -> null, List.of(Section.top("server", "x", n -> "y"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("server");
        var timeout = Section.perDeployment("timeout", "x", n -> "y");
        assertThatThrownBy(() -> parse(List.of(timeout), "models: [{name: m, deployments: [{provider: mock}]}]"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("timeout");
        assertThatThrownBy(() -> Section.top("Not_Kebab", "x", n -> "y")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void section_lookedUpAtAnotherScope_isAProgrammingError() {
        var cfg = parse(SECTIONS, "models: [{name: m, deployments: [{provider: mock}]}]");
        assertThatThrownBy(() -> cfg.section(Breaker.SECTION)).isInstanceOf(IllegalArgumentException.class);
    }
}
