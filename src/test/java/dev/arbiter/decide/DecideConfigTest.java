package dev.arbiter.decide;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigLoader;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DecideConfigTest {
    static final String MODELS = """
            models:
              - {name: small, deployments: [{name: d, provider: openai, base-url: "http://127.0.0.1:1/v1", price: {input: 0.1, output: 0.2}}]}
              - {name: big, deployments: [{name: d, provider: openai, base-url: "http://127.0.0.1:1/v1"}]}
            """;

    static ArbiterConfig parse(String yaml) {
        return new ConfigLoader(k -> null, List.of(RoutesConfig.SECTION, CatalogConfig.SECTION))
                .parse(new ByteArrayInputStream((MODELS + yaml).getBytes(StandardCharsets.UTF_8)), "t.yaml");
    }

    @Test
    void parse_routeWithEveryKey_binds() {
        var cfg = parse("""
                routes:
                  - name: auto
                    candidates: [small, big]
                    policy: linucb
                    objective: {quality: 0.6, cost: 0.3, latency: 0.1}
                    exploration: 2
                    constraints: {max-cost: 0.02, max-p95-latency: 8s, min-quality: 0.7, capabilities: [tools]}
                catalog:
                  - {name: big, provider: x, context-window: 1000, capabilities: [tools], price: {input: 1, output: 2}, quality: {chat: 0.9}}
                """);
        var r = cfg.section(RoutesConfig.SECTION).routes().getFirst();
        assertThat(r.objective()).isEqualTo(new Reward(0.6, 0.3, 0.1));
        assertThat(r.maxP95LatencyMillis()).isEqualTo(8000);
        assertThat(r.capabilities()).containsExactly("tools");
        assertThat(cfg.section(CatalogConfig.SECTION).entries().getFirst().quality()).containsEntry("chat", 0.9);
        var stage = DecideStage.of(cfg, System::nanoTime, new SplittableRandom(1), Optional.empty(), new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
        assertThat(stage.routeNames()).containsExactly("auto");
    }

    @Test
    void parse_featuresTextPlusEmbedding_widensTheContext() {
        var cfg = parse("""
                routes:
                  - {name: auto, candidates: [small, big], policy: knn, features: text+embedding}
                  - {name: plain, candidates: [small, big], policy: linucb}
                """);
        var routes = cfg.section(RoutesConfig.SECTION).routes();
        assertThat(routes.get(0).embeds()).isTrue();
        assertThat(routes.get(1).features()).isEqualTo("text");
        var auto = new Router(routes.get(0), List.of(entry("small"), entry("big")), new SplittableRandom(1));
        var ctx = new RequestContext(10, 10, java.util.Set.of(), "math", Features.withEmbedding(Features.of("2 + 2?"), new float[384]));
        assertThat(auto.embeds()).isTrue();
        assertThat(auto.decide(ctx).features()).hasSize(Features.DIM + Features.EMBEDDING_DIM);
    }

    @Test
    void parse_featuresOnNonContextualPolicy_refused() {
        assertThatThrownBy(() -> parse("""
                routes:
                  - {name: auto, candidates: [small], policy: ucb1, features: text+embedding}
                  - {name: other, candidates: [small], policy: linucb, features: words}
                """)).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(String.join("\n", e.problems()))
                .contains("routes[0].features: text+embedding (expected: text unless the policy is contextual (linucb | contextual-thompson | knn))")
                .contains("routes[1].features: words (expected: text | text+embedding)"));
    }

    private static Catalog.Entry entry(String name) {
        return new Catalog.Entry(name, "x", 0, java.util.Set.copyOf(Catalog.CAPABILITIES), 0.1, 0.1, 0, java.util.Map.of());
    }

    @Test
    void parse_badValues_namedWithPathAndExpected() {
        assertThatThrownBy(() -> parse("""
                routes:
                  - {name: auto, candidates: [small], policy: magic, objective: cheapest, constraints: {min-quality: 3, capabilities: [telepathy]}}
                """)).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(String.join("\n", e.problems()))
                .contains("routes[0].policy: magic (expected: weighted | epsilon-greedy")
                .contains("routes[0].objective: cheapest (expected: balanced | quality-first | cost-first")
                .contains("routes[0].constraints.min-quality: 3")
                .contains("telepathy"));
    }

    @Test
    void of_unknownCandidateOrRouteNamedLikeModel_refused() {
        var cfg = parse("""
                routes:
                  - {name: small, candidates: [big]}
                  - {name: auto, candidates: [small, nowhere]}
                """);
        assertThatThrownBy(() -> DecideStage.of(cfg, System::nanoTime, new SplittableRandom(1), Optional.empty(), new io.micrometer.core.instrument.simple.SimpleMeterRegistry()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        "routes[0].name: small (expected: a name no model uses)",
                        "routes[1].candidates[1]: nowhere (expected: a configured chat model)"));
    }
}
