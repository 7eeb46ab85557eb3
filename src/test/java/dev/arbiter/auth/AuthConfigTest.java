package dev.arbiter.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.cli.Sections;
import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.config.ConfigException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuthConfigTest {
    private static final String MODELS = "models: [{name: m, deployments: [{provider: mock}]}]\n";

    private static ArbiterConfig parse(String yaml, Map<String, String> env) {
        return Sections.loader(env::get).parse(new ByteArrayInputStream((yaml + MODELS).getBytes(StandardCharsets.UTF_8)), "t.yaml");
    }

    private static ConfigException problems(String yaml) {
        try {
            parse(yaml, Map.of());
        } catch (ConfigException e) {
            return e;
        }
        throw new AssertionError("accepted " + yaml);
    }

    @Test
    void parse_keysFromEnvironment_bindWithEveryField() {
        var cfg = parse("""
                auth: {mode: required, admin-key: "${ADMIN}"}
                keys:
                  - {name: team-a, key: "${TEAM_A_KEY}", team: a, user: u1, models: ["gpt-4o*"], priority: high,
                     limits: {rpm: 60, tpm: 10000, concurrency: 2}, budget: {daily-usd: 5, monthly-usd: 100}}
                """, Map.of("ADMIN", "admin-0123456789abcdef", "TEAM_A_KEY", "sk-team-a-0123456789abcdef"));
        AuthConfig a = cfg.section(AuthConfig.SECTION);
        assertThat(a.mode()).isEqualTo(AuthConfig.Mode.REQUIRED);
        assertThat(a.adminKey().reveal()).isEqualTo("admin-0123456789abcdef");
        var k = cfg.section(StaticKeys.SECTION).keys().getFirst();
        assertThat(k.spec().limits()).isEqualTo(new KeyLimits(0, 60, 0, 10000, 2));
        assertThat(k.spec().budget()).isEqualTo(new KeyBudget(5, 100));
        assertThat(k.spec().priority()).isEqualTo(Priority.HIGH);
        assertThat(k.toString()).doesNotContain("sk-team-a");
    }

    @Test
    void callerKey_sameKey_sameCallerOnEveryGateway_otherwiseNot() {
        var shared = "auth: {caller-key: \"${CK}\"}\n";
        var a = parse(shared, Map.of("CK", "caller-key-0123456789")).section(AuthConfig.SECTION).callerResolver();
        var b = parse(shared, Map.of("CK", "caller-key-0123456789")).section(AuthConfig.SECTION).callerResolver();
        var other = parse(shared, Map.of("CK", "caller-key-9876543210")).section(AuthConfig.SECTION).callerResolver();
        var unset1 = parse("", Map.of()).section(AuthConfig.SECTION).callerResolver();
        var unset2 = parse("", Map.of()).section(AuthConfig.SECTION).callerResolver();
        var bearer = java.util.Optional.of("Bearer sk-some-upstream-key");
        assertThat(a.resolve(bearer, java.util.Optional.empty())).isEqualTo(b.resolve(bearer, java.util.Optional.empty()));
        assertThat(a.resolve(bearer, java.util.Optional.empty())).isNotEqualTo(other.resolve(bearer, java.util.Optional.empty()));
        assertThat(unset1.resolve(bearer, java.util.Optional.empty())).isNotEqualTo(unset2.resolve(bearer, java.util.Optional.empty()));
        assertThat(a.resolve(bearer, java.util.Optional.empty()).id()).doesNotContain("caller-key").doesNotContain("sk-some");
        assertThat(problems("auth: {caller-key: short}\n").getMessage()).contains("auth.caller-key").doesNotContain("short");
    }

    @Test
    void parse_default_isOff() {
        assertThat(parse("", Map.of()).section(AuthConfig.SECTION).mode()).isEqualTo(AuthConfig.Mode.OFF);
    }

    @Test
    void parse_badValues_areNamedAndSecretsHidden() {
        var e = problems("""
                auth: {mode: sometimes, admin-key: short}
                keys:
                  - {name: a, key: "sk-too-short", priority: urgent, limits: {rpm: -1}}
                  - {name: b, key: "${UNSET_KEY}"}
                  - {name: c, key: "sk-a-long-enough-key-0123456789", limits: {rph: 3}}
                """);
        assertThat(String.join("\n", e.problems()))
                .contains("auth.mode: sometimes (expected: required, optional or off)")
                .contains("keys[0].priority: urgent (expected: critical, high, normal or low)")
                .contains("keys[0].limits.rpm: -1 (expected: >= 0)")
                .contains("keys[1].key: ${UNSET_KEY} (expected: environment variable UNSET_KEY to be set)")
                .contains("keys[2].limits.rph: unknown key")
                .doesNotContain("sk-too-short");
    }

    @Test
    void allows_wildcards() {
        var spec = new KeySpec("k", null, null, java.util.List.of("gpt-4o*", "claude-*-4-5", "mock-chat"), null, null, null, null, null, Map.of());
        assertThat(spec.allows("gpt-4o")).isTrue();
        assertThat(spec.allows("gpt-4o-mini")).isTrue();
        assertThat(spec.allows("claude-sonnet-4-5")).isTrue();
        assertThat(spec.allows("claude-sonnet-4-6")).isFalse();
        assertThat(spec.allows("mock-chat")).isTrue();
        assertThat(spec.allows("mock-chat2")).isFalse();
        assertThat(spec.allows("gpt-4.1")).isFalse();
    }

    @Test
    void priority_cappedAtTheKeysMaximum() {
        assertThat(Priority.CRITICAL.cappedAt(Priority.NORMAL)).isEqualTo(Priority.NORMAL);
        assertThat(Priority.LOW.cappedAt(Priority.NORMAL)).isEqualTo(Priority.LOW);
    }
}
