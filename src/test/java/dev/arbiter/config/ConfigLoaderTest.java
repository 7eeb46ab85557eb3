package dev.arbiter.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {
    private static ArbiterConfig parse(String yaml, Map<String, String> env) {
        return new ConfigLoader(env::get).parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "test.yaml");
    }

    private static ConfigException problems(String yaml) {
        return problems(List.of(), yaml);
    }

    /** Providers as the CLI wiring registers them, given to the loader as data. */
    private static final List<ProviderRule> PROVIDERS = List.of(
            new ProviderRule("openai", List.of("chat", "responses"), true, false),
            new ProviderRule("azure", List.of("chat"), true, true),
            new ProviderRule("anthropic", List.of("messages"), true, false),
            new ProviderRule("mock", List.of("chat"), false, false));

    private static ConfigException problems(List<Section<?>> sections, String yaml) {
        try {
            new ConfigLoader(k -> null, sections).withProviders(PROVIDERS).parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "test.yaml");
        } catch (ConfigException e) {
            return e;
        }
        throw new AssertionError("expected a ConfigException");
    }

    @Test
    void parse_fullConfig_bindsEverySection() {
        var cfg = parse("""
                server: {port: 9000, request-timeout: 30s, max-body-bytes: 2048}
                limits: {max-in-flight: 10, max-queued: 5, queue-timeout: 250ms}
                models:
                  - name: gpt
                    aliases: [gpt-*, my-gpt]
                    deployments:
                      - name: a
                        provider: openai
                        model: gpt-4o
                        base-url: http://127.0.0.1:1/v1/
                        api-key: ${KEY}
                        weight: 3
                        price: {input: 2.5, output: 10}
                        context-window: 128000
                      - {name: b, provider: mock}
                """, Map.of("KEY", "sk-secret"));
        assertThat(cfg.server().port()).isEqualTo(9000);
        assertThat(cfg.server().requestTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(cfg.limits().queueTimeout()).isEqualTo(Duration.ofMillis(250));
        var m = cfg.models().getFirst();
        assertThat(m.aliases()).containsExactly("gpt-*", "my-gpt");
        var a = m.deployments().getFirst();
        assertThat(a.baseUrl().toString()).isEqualTo("http://127.0.0.1:1/v1");
        assertThat(a.apiKey().reveal()).isEqualTo("sk-secret");
        assertThat(a.apiKey().toString()).isEqualTo("****");
        assertThat(a.price().input()).isEqualTo(2.5);
        assertThat(m.deployments().get(1).provider()).isEqualTo("mock");
    }

    @Test
    void parse_manyProblems_reportsEveryOneWithItsPath() {
        var e = problems("""
                server: {port: 70000, colour: blue}
                limits: {max-in-flight: 0}
                models:
                  - name: x
                    deployments:
                      - {provider: nope, model: m}
                      - {provider: openai, model: m, base-url: "not a url", timeout: soon}
                surprise: 1
                """);
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("server.port: 70000 (expected: 0..65535)"))
                .anySatisfy(p -> assertThat(p).startsWith("server.colour: unknown key"))
                .anySatisfy(p -> assertThat(p).startsWith("limits.max-in-flight: 0 (expected: >= 1)"))
                .anySatisfy(p -> assertThat(p).contains("provider: nope (expected: one of"))
                .anySatisfy(p -> assertThat(p).contains("timeout: soon (expected: a duration"))
                .anySatisfy(p -> assertThat(p).startsWith("surprise: unknown key"));
        assertThat(e.problems().size()).isGreaterThanOrEqualTo(6);
    }

    @Test
    void parse_missingEnvVar_namesTheVariableNotAValue() {
        var e = problems("""
                models:
                  - name: x
                    deployments: [{provider: openai, base-url: "https://api.openai.com/v1", api-key: "${NOPE_KEY}"}]
                """);
        assertThat(e.problems()).singleElement().asString()
                .contains("api-key: ${NOPE_KEY} (expected: environment variable NOPE_KEY to be set)");
    }

    @Test
    void parse_literalSecret_neverAppearsInProblems() {
        var e = problems("""
                models:
                  - name: x
                    deployments: [{provider: openai, base-url: "ftp://x", api-key: "sk-literal-secret-123456"}]
                """);
        assertThat(String.join("\n", e.problems())).doesNotContain("sk-literal-secret-123456");
    }

    @Test
    void parse_duplicateModelNames_rejected() {
        var e = problems("""
                models:
                  - {name: x, deployments: [{provider: mock}]}
                  - {name: x, deployments: [{provider: mock}]}
                """);
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).contains("a unique model name"));
    }

    @Test
    void parse_notYaml_saysSo() {
        var e = problems("models: [unclosed");
        assertThat(e.problems()).singleElement().asString().contains("not valid YAML");
    }

    @Test
    void loadDefault_withoutKeys_servesOnlyMockModels() {
        var cfg = new ConfigLoader(k -> null).loadDefault();
        assertThat(cfg.models()).extracting(ModelConfig::name).containsExactly("mock-chat", "mock-embedding");
    }

    @Test
    void loadDefault_withKeys_addsOpenAiAndAnthropicModels() {
        var cfg = new ConfigLoader(Map.of("OPENAI_API_KEY", "sk-a", "ANTHROPIC_API_KEY", "sk-b")::get).loadDefault();
        assertThat(cfg.models()).extracting(ModelConfig::name).contains("mock-chat", "gpt-4o-mini", "claude-sonnet-4-5");
    }

    @Test
    void parse_wrongTypedNumbersAndBooleans_reportedAsProblemLinesNotExceptions() {
        // each used to throw a NullPointerException out of a conditional that unboxed null
        String[][] cases = {
                {"server: {port: x}", "server.port: x (expected: an integer)"},
                {"server: {port: 8080.5}", "server.port: 8080.5 (expected: an integer)"},
                {"server: {port: \"\"}", "server.port: \"\" (expected: an integer)"},
                {"server: {port: [1]}", "server.port: [1] (expected: an integer)"},
                {"server: {max-body-bytes: lots}", "server.max-body-bytes: lots (expected: an integer)"},
                {"server: {max-body-bytes: \"99999999999999999999\"}", "server.max-body-bytes: 99999999999999999999 (expected: an integer)"},
                {"server: {max-body-bytes: 99999999999999999999}", "server.max-body-bytes: 99999999999999999999 (expected: an integer)"},
                {"models: [{name: m, embeddings: maybe, deployments: [{provider: mock}]}]", "models[0].embeddings: maybe (expected: true or false)"},
                {"models: [{name: m, deployments: [{provider: mock, weight: 1.5}]}]", "models[0].deployments[0].weight: 1.5 (expected: an integer)"},
                {"models: [{name: m, deployments: [{provider: mock, price: {input: Infinity}}]}]", "models[0].deployments[0].price.input: Infinity (expected: a number)"},
        };
        for (String[] c : cases) {
            String yaml = c[0].startsWith("models") ? c[0] : c[0] + "\nmodels: [{name: m, deployments: [{provider: mock}]}]";
            assertThat(problems(yaml).problems()).as(c[0]).containsExactly(c[1]);
        }
    }

    @Test
    void parse_deploymentWithSeveralBadFields_reportsEveryOne() {
        var e = problems("""
                models:
                  - name: x
                    deployments: [{provider: openai, model: m, base-url: "not a url", weight: -1, max-in-flight: -2}]
                """);
        assertThat(e.problems()).containsExactlyInAnyOrder(
                "models[0].deployments[0].weight: -1 (expected: >= 0)",
                "models[0].deployments[0].max-in-flight: -2 (expected: >= 0 (0 = no limit))",
                "models[0].deployments[0].base-url: not a url (expected: an absolute http(s) URL)");
    }

    @Test
    void parse_deploymentWithoutProvider_reportedNotThrown() {
        var e = problems("models: [{name: x, deployments: [{model: m, base-url: \"http://127.0.0.1:1\"}]}]");
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).contains("provider: null (expected: a provider name)"));
    }

    @Test
    void parse_mistypedSecret_neverShowsItsValue() {
        var signing = Section.top("signing", "none", n -> String.valueOf(n.secret("key")));
        var e = problems(List.of(signing), """
                signing: {key: [hunter2-reasoning]}
                models:
                  - name: x
                    deployments:
                      - provider: openai
                        base-url: http://127.0.0.1:1/v1
                        api-key: ["sk-SECRET-999"]
                        headers: {x-goog-api-key: [AIza-header-secret], x-trace: [not-secret-but-a-header]}
                """);
        String all = String.join("\n", e.problems());
        assertThat(all).doesNotContain("sk-SECRET-999", "hunter2-reasoning", "AIza-header-secret", "not-secret-but-a-header")
                .contains("models[0].deployments[0].api-key: (hidden) (expected: a string)")
                .contains("signing.key: (hidden) (expected: a string)")
                .contains("models[0].deployments[0].headers.x-goog-api-key: (hidden) (expected: a string)");
    }

    @Test
    void secretHeldBy_namesLikeCredentials_hiddenOthersShown() {
        assertThat(java.util.List.of("api-key", "reasoning.key", "x.access_token", "client-secret", "password", "x.Authorization",
                "m.headers.x-anything", "apikey", "bearer")).allMatch(Secret::heldBy);
        assertThat(java.util.List.of("server.port", "mock.output-tokens", "keep-alive-interval", "models[0].name", "monkey"))
                .noneMatch(Secret::heldBy);
    }

    @Test
    void parse_providerRules_defaultApiWrongApiAndMissingKeysReported() {
        var e = problems(List.of(), """
                models:
                  - name: x
                    deployments:
                      - {provider: anthropic, model: m, api: chat, base-url: "http://127.0.0.1:1"}
                      - {provider: azure, model: m, base-url: "https://example.test"}
                      - {provider: openai, model: m}
                """);
        assertThat(e.problems()).containsExactlyInAnyOrder(
                "models[0].deployments[0].api: chat (expected: messages for provider anthropic)",
                "models[0].deployments[1].api-version: null (expected: Azure's api-version, e.g. 2024-10-21)",
                "models[0].deployments[2].base-url: null (expected: an absolute http(s) URL)");
        var cfg = new ConfigLoader(k -> null).withProviders(PROVIDERS).parse(new ByteArrayInputStream("""
                models: [{name: x, deployments: [{provider: anthropic, model: m, base-url: "http://127.0.0.1:1"}]}]
                """.getBytes(StandardCharsets.UTF_8)), "t.yaml");
        assertThat(cfg.models().getFirst().deployments().getFirst().api()).as("the provider's default api").isEqualTo("messages");
    }
}
