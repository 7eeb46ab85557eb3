package dev.arbiter.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arbiter.cli.Sections;
import dev.arbiter.config.ConfigException;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.mock.MockProvider;
import dev.arbiter.provider.Deployment;
import dev.arbiter.route.ModelRegistry;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The breakers' wiring with a small window: what counts, when they open, what a rejection says, admin actions. */
class BreakersTest {
    private static final String YAML = """
            models:
              - name: m
                deployments:
                  - {name: a, provider: mock, circuit-breaker: {failure-rate-threshold: 50, minimum-calls: 2, sliding-window: 4, open-for: 10s, half-open-calls: 1}}
                  - {name: unbroken, provider: mock, circuit-breaker: {enabled: false}}
              - name: n
                deployments: [{name: b, provider: mock}]
            """;

    private final dev.arbiter.config.ArbiterConfig cfg = Sections.loader(k -> null)
            .parse(new ByteArrayInputStream(YAML.getBytes(StandardCharsets.UTF_8)), "test.yaml");
    private final ModelRegistry registry = new ModelRegistry(cfg, d -> new MockProvider(d.section(MockConfig.SECTION)),
            d -> WireFormat.OPENAI_CHAT);
    private final AtomicLong now = new AtomicLong();
    private final Breakers breakers = Breakers.of(registry, now::get);

    @AfterEach
    void close() {
        registry.close();
    }

    private Deployment d(String model, String name) {
        return registry.deployment(model, name).orElseThrow();
    }

    private static ArbiterException.Upstream upstream(int status) {
        return new ArbiterException.Upstream(status, "upstream failed (HTTP " + status + ")", "upstream_http_" + status, null);
    }

    @Test
    void upstreamFailures_openTheBreaker_thenItRejectsWithTheTimeLeft() {
        Deployment a = d("m", "a");
        breakers.enter(a).failed(upstream(503));
        assertThat(breakers.state("a")).hasValue(CircuitBreaker.State.CLOSED);
        breakers.enter(a).failed(upstream(0));
        assertThat(breakers.state("m/a")).hasValue(CircuitBreaker.State.OPEN);

        now.addAndGet(Duration.ofMillis(2500).toNanos());
        assertThatThrownBy(() -> breakers.enter(a)).isInstanceOfSatisfying(ArbiterException.Overloaded.class, e -> {
            assertThat(e.code()).isEqualTo("circuit_open");
            assertThat(e.retryAfter()).isEqualTo(Duration.ofMillis(7500));
            assertThat(e.getStackTrace()).isEmpty();
        });
        assertThat(breakers.enter(d("n", "b"))).as("another deployment is unaffected").isNotNull();
    }

    @Test
    void callerErrors429sAndReleases_neverCount() {
        Deployment a = d("m", "a");
        for (int i = 0; i < 10; i++) {
            breakers.enter(a).failed(upstream(400));
            breakers.enter(a).failed(upstream(429));
            breakers.enter(a).failed(new ArbiterException.BadRequest("bad", null));
            breakers.enter(a).failed(new ArbiterException.Upstream(0, "cancelled", "cancelled", null));
            breakers.enter(a).released();
        }
        assertThat(breakers.state("a")).hasValue(CircuitBreaker.State.CLOSED);
        var call = breakers.enter(a);
        call.succeeded();
        call.failed(upstream(500));   // a second report is ignored
        breakers.enter(a).failed(upstream(500));
        assertThat(breakers.state("a")).as("1 of 2 failed: 50%% opens").hasValue(CircuitBreaker.State.OPEN);
    }

    @Test
    void disabledBreaker_letsEverythingThrough() {
        Deployment off = d("m", "unbroken");
        for (int i = 0; i < 20; i++) breakers.enter(off).failed(upstream(503));
        breakers.enter(off).succeeded();
        assertThat(breakers.state("unbroken")).isEmpty();
    }

    @Test
    void admin_forceOpenAndReset() {
        var opened = breakers.act("a", "open");
        assertThat(opened.get("state").asText()).isEqualTo("forced_open");
        assertThatThrownBy(() -> breakers.enter(d("m", "a"))).isInstanceOf(ArbiterException.Overloaded.class);
        assertThat(breakers.act("m/a", "reset").get("state").asText()).isEqualTo("closed");
        breakers.enter(d("m", "a")).succeeded();
        assertThat(breakers.view().get("breakers")).hasSize(2);
        assertThatThrownBy(() -> breakers.act("nope", "open")).isInstanceOf(ArbiterException.NotFound.class);
        assertThatThrownBy(() -> breakers.act("a", "explode")).isInstanceOf(ArbiterException.NotFound.class)
                .hasMessageContaining("action 'explode'");

    }

    @Test
    void admin_nameTwoModelsUse_mustBeQualified() {
        var shared = Sections.loader(k -> null).parse(new ByteArrayInputStream("""
                models:
                  - {name: n, deployments: [{name: shared, provider: mock}]}
                  - {name: o, deployments: [{name: shared, provider: mock}]}
                """.getBytes(StandardCharsets.UTF_8)), "shared.yaml");
        try (var reg = new ModelRegistry(shared, d -> new MockProvider(d.section(MockConfig.SECTION)), d -> WireFormat.OPENAI_CHAT)) {
            var b = Breakers.of(reg, now::get);
            assertThatThrownBy(() -> b.act("shared", "reset")).isInstanceOf(ArbiterException.BadRequest.class)
                    .hasMessageContaining("n/shared").hasMessageContaining("o/shared");
            assertThat(b.act("o/shared", "reset").get("state").asText()).isEqualTo("closed");
        }
    }

    @Test
    void config_rejectsNonsense() {
        assertThatThrownBy(() -> new BreakerConfig(true, 0, 5, 20, Duration.ofSeconds(1), 2)).isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> new BreakerConfig(true, 50, 30, 20, Duration.ofSeconds(1), 2)).isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> new BreakerConfig(true, 50, 5, 20, Duration.ZERO, 2)).isInstanceOf(ConfigException.class);
    }
}
