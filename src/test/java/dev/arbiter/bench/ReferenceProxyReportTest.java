package dev.arbiter.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The harness's reference-proxy comparison: which scenarios a run gets, and what the report computes from them. */
class ReferenceProxyReportTest {
    private static final URI DIRECT = URI.create("http://127.0.0.1:19090");
    private static final URI GATEWAY = URI.create("http://127.0.0.1:18080");
    private static final URI REFERENCE = URI.create("http://127.0.0.1:18081");
    private static final URI SLOW = URI.create("http://127.0.0.1:19091");
    private static final Scenarios.Endpoints NO_REFERENCE = new Scenarios.Endpoints(DIRECT, SLOW, GATEWAY, null);
    private static final Scenarios.Endpoints WITH_REFERENCE = new Scenarios.Endpoints(DIRECT, SLOW, GATEWAY, REFERENCE);

    @Test
    void aGatewayScenarioBringsItsBaselineAndWithAReferenceItsTwin() {
        assertThat(names(Scenarios.select(List.of("gateway-chat"), NO_REFERENCE)))
                .containsExactly("direct-chat", "gateway-chat");
        assertThat(names(Scenarios.select(List.of("gateway-chat", "gateway-responses-via-chat"), WITH_REFERENCE)))
                .containsExactly("direct-chat", "reference-chat", "gateway-chat", "gateway-responses-via-chat");
        Scenario twin = Scenarios.select(List.of("gateway-chat-stream"), WITH_REFERENCE).get(1);
        assertThat(twin.name()).isEqualTo("reference-chat-stream");
        assertThat(twin.via()).isEqualTo(Scenario.Via.REFERENCE);
        assertThat(twin.base()).isEqualTo(REFERENCE);
        assertThat(twin.baseline()).isEqualTo("direct-chat-stream");
        assertThat(twin.body()).isEqualTo(Scenarios.chat(true).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void aReferenceScenarioWithoutAReferenceProxyIsAClearError() {
        assertThatThrownBy(() -> Scenarios.select(List.of("reference-chat"), NO_REFERENCE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs --reference");
        assertThatThrownBy(() -> Scenarios.select(List.of("gateway-nope"), NO_REFERENCE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown scenario 'gateway-nope'");
    }

    @Test
    void theReportSetsWhatTheGatewayAddsAgainstWhatTheReferenceAdds() {
        var scenarios = Scenarios.select(List.of("gateway-chat"), WITH_REFERENCE);
        var cpu = new CpuWatch(Map.of());
        var stats = new ArrayList<ScenarioStats>();
        // Every request of a scenario takes the same time: direct 400 µs, through nginx 520, through the gateway 700.
        long[] micros = {400, 520, 700};
        for (int i = 0; i < scenarios.size(); i++) {
            var s = new ScenarioStats(scenarios.get(i), cpu.names().size());
            for (int n = 0; n < 1000; n++) s.ok(0, micros[i] * 1000, -1);
            stats.add(s);
        }
        var plan = new LoadGenerator.Plan(1000, Duration.ofSeconds(1), Duration.ZERO, Duration.ofSeconds(1), 10);
        Report report = new Report(plan, "test", cpu, stats, Duration.ofSeconds(3)).referenceName("nginx");

        var versus = report.versusReference();
        assertThat(versus).hasSize(1);
        var v = versus.getFirst();
        assertThat(v.scenario()).isEqualTo("gateway-chat");
        assertThat(v.reference()).isEqualTo("reference-chat");
        // HdrHistogram keeps three significant digits: 400 µs, 520 µs and 700 µs come back within 1 µs.
        assertThat(v.gateway().p50()).isCloseTo(300, org.assertj.core.data.Offset.offset(1.0));
        assertThat(v.viaReference().p50()).isCloseTo(120, org.assertj.core.data.Offset.offset(1.0));
        assertThat(v.extraP50()).isCloseTo(180, org.assertj.core.data.Offset.offset(1.0));
        assertThat(v.extraP99()).isCloseTo(180, org.assertj.core.data.Offset.offset(1.0));
        assertThat(report.text(300, 1000))
                .contains("the gateway against nginx, the reference proxy")
                .contains("reference-* rows: nginx");
    }

    private static List<String> names(List<Scenario> scenarios) {
        return scenarios.stream().map(Scenario::name).toList();
    }
}
