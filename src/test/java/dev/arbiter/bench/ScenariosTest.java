package dev.arbiter.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Selecting scenarios at their own rates, and the slow-upstream scenarios. */
class ScenariosTest {
    private static final Scenarios.Endpoints AT = new Scenarios.Endpoints(URI.create("http://127.0.0.1:19090"),
            URI.create("http://127.0.0.1:19091"), URI.create("http://127.0.0.1:18080"), URI.create("http://127.0.0.1:18081"));

    @Test
    void select_namesWithRates_eachRowAndItsBaselineAndTwinAtThatRate() {
        var chosen = Scenarios.select(List.of("gateway-chat@200", "gateway-chat@1000", "gateway-chat-slow@200"), AT);
        assertThat(chosen).extracting(Scenario::name).containsExactly("direct-chat@200", "direct-chat@1000", "reference-chat@200",
                "reference-chat@1000", "gateway-chat@200", "gateway-chat@1000", "direct-chat-slow@200", "reference-chat-slow@200",
                "gateway-chat-slow@200");
        Scenario g = chosen.get(4);
        assertThat(g.rate()).isEqualTo(200);
        assertThat(g.baseline()).isEqualTo("direct-chat@200");
        assertThat(g.reference()).isEqualTo("reference-chat@200");
        assertThat(chosen.get(1).rateOr(500)).isEqualTo(1000);
    }

    @Test
    void select_nameWithoutRate_runsAtTheRunsRate() {
        var chosen = Scenarios.select(List.of("gateway-chat"), AT);
        assertThat(chosen).extracting(Scenario::name).containsExactly("direct-chat", "reference-chat", "gateway-chat");
        assertThat(chosen.getFirst().rateOr(700)).isEqualTo(700);
    }

    @Test
    void select_slowScenarios_goToTheSlowUpstreamItsModelAndTheReferencesPrefix() {
        var chosen = Scenarios.select(List.of("gateway-chat-slow"), AT);
        assertThat(chosen.get(0).uri()).isEqualTo(URI.create("http://127.0.0.1:19091/v1/chat/completions"));
        assertThat(chosen.get(1).uri()).isEqualTo(URI.create("http://127.0.0.1:18081/slow/v1/chat/completions"));
        assertThat(chosen.get(2).uri()).isEqualTo(URI.create("http://127.0.0.1:18080/v1/chat/completions"));
        assertThat(new String(chosen.get(2).body(), java.nio.charset.StandardCharsets.UTF_8)).contains("\"model\":\"bench-chat-slow\"");
        assertThat(chosen.get(0).body()).isEqualTo(chosen.get(2).body());
    }

    @Test
    void select_badRate_isAClearError() {
        assertThatThrownBy(() -> Scenarios.select(List.of("gateway-chat@fast"), AT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rate in 'gateway-chat@fast'");
        assertThatThrownBy(() -> Scenarios.select(List.of("gateway-chat@0"), AT)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void select_loggedScenario_goesToTheLoggedGateway_orNeedsIt() {
        var at = new Scenarios.Endpoints(AT.direct(), AT.slowDirect(), AT.gateway(), null, null, URI.create("http://127.0.0.1:18083"));
        var chosen = Scenarios.select(List.of("gateway-chat", "gateway-chat-logged"), at);
        assertThat(chosen).extracting(Scenario::name).containsExactly("direct-chat", "gateway-chat", "gateway-chat-logged");
        assertThat(chosen.get(2).base()).isEqualTo(URI.create("http://127.0.0.1:18083"));
        assertThatThrownBy(() -> Scenarios.select(List.of("gateway-chat-logged"), AT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs --logged-gateway");
    }

    @Test
    void select_redisKeyedScenario_goesToTheRedisGatewayWithTheKey_orNeedsIt() {
        var at = new Scenarios.Endpoints(AT.direct(), AT.slowDirect(), AT.gateway(), null, null, null, URI.create("http://127.0.0.1:18084"));
        var chosen = Scenarios.select(List.of("gateway-chat-keyed", "gateway-chat-keyed-redis"), at);
        assertThat(chosen).extracting(Scenario::name).containsExactly("direct-chat", "gateway-chat-keyed", "gateway-chat-keyed-redis");
        assertThat(chosen.get(2).base()).isEqualTo(URI.create("http://127.0.0.1:18084"));
        assertThat(chosen.get(2).headers()).isEqualTo(chosen.get(1).headers());
        assertThatThrownBy(() -> Scenarios.select(List.of("gateway-chat-keyed-redis"), AT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs --redis-gateway");
    }

    @Test
    void select_tracedScenario_goesToTheTracedGatewayWithGatewayChatsRequest() {
        var at = new Scenarios.Endpoints(AT.direct(), AT.slowDirect(), AT.gateway(), null, URI.create("http://127.0.0.1:18082"));
        var chosen = Scenarios.select(List.of("gateway-chat", "gateway-chat-traced"), at);
        assertThat(chosen).extracting(Scenario::name).containsExactly("direct-chat", "gateway-chat", "gateway-chat-traced");
        assertThat(chosen.get(2).uri()).isEqualTo(URI.create("http://127.0.0.1:18082/v1/chat/completions"));
        assertThat(chosen.get(2).baseline()).isEqualTo("direct-chat");
        assertThat(chosen.get(2).body()).isEqualTo(chosen.get(1).body());
        assertThatThrownBy(() -> Scenarios.select(List.of("gateway-chat-traced"), AT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs --traced-gateway");
    }
}
