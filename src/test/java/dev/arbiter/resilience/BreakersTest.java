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

    private ModelRegistry extras;

    private Breakers breakers(String circuitBreaker) {
        var c = Sections.loader(k -> null).parse(new ByteArrayInputStream(("""
                models:
                  - {name: m, deployments: [{name: a, provider: mock, circuit-breaker: %s}]}
                """.formatted(circuitBreaker)).getBytes(StandardCharsets.UTF_8)), "extras.yaml");
        var reg = new ModelRegistry(c, d -> new MockProvider(d.section(MockConfig.SECTION)), d -> WireFormat.OPENAI_CHAT);
        reg.close();   // the mock providers hold nothing; the deployments stay usable as keys
        extras = reg;
        return Breakers.of(reg, now::get);
    }

    private Deployment only(Breakers b) {
        return extras.deployment("m", "a").orElseThrow();
    }

    @Test
    void repeatedTrips_growTheOpenTime_capped_andACleanCloseStartsAgain() {
        var b = breakers("{minimum-calls: 1, sliding-window: 1, open-for: 1s, open-for-growth: 3, max-open-for: 5s, half-open-calls: 1}");
        Deployment a = only(b);
        b.enter(a).failed(upstream(503));
        assertThat(b.openFor(a)).isEqualTo(Duration.ofSeconds(1));
        long[] expected = {3, 5, 5};   // 1 s, then x3, capped at 5 s
        for (long seconds : expected) {
            now.addAndGet(b.openFor(a).toNanos() + 1_000_000);
            assertThat(b.openFor(a)).as("its open time is up: probes may go").isZero();
            b.enter(a).failed(upstream(503));   // the probe fails: open again, for longer
            assertThat(b.openFor(a)).isEqualTo(Duration.ofSeconds(seconds));
            assertThatThrownBy(() -> b.enter(a)).isInstanceOfSatisfying(ArbiterException.Overloaded.class,
                    e -> assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(seconds)));
        }
        now.addAndGet(Duration.ofMillis(5001).toNanos());
        b.enter(a).succeeded();   // the probe succeeds: closed
        assertThat(b.state("a")).hasValue(CircuitBreaker.State.CLOSED);
        b.enter(a).failed(upstream(503));
        assertThat(b.openFor(a)).as("a clean close starts again from open-for").isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void slowCalls_openTheBreaker_measuredToTheFirstByte_notToTheStreamsEnd() {
        var b = breakers("{minimum-calls: 2, sliding-window: 2, slow-call: 2s, slow-call-rate-threshold: 100}");
        Deployment a = only(b);
        // a stream whose first event came fast but that ran for a minute is not slow
        for (int i = 0; i < 2; i++) {
            var call = b.enter(a);
            now.addAndGet(Duration.ofMillis(100).toNanos());
            call.firstByte();
            now.addAndGet(Duration.ofMinutes(1).toNanos());
            call.succeeded();
        }
        assertThat(b.state("a")).hasValue(CircuitBreaker.State.CLOSED);
        for (int i = 0; i < 2; i++) {
            var call = b.enter(a);
            now.addAndGet(Duration.ofSeconds(3).toNanos());
            call.succeeded();   // answered, but slowly
        }
        assertThat(b.state("a")).hasValue(CircuitBreaker.State.OPEN);
        assertThat(b.openFor(a)).isPositive();
    }

    @Test
    void slowCalls_countForNothing_byDefault() {
        Deployment a = d("m", "a");
        for (int i = 0; i < 10; i++) {
            var call = breakers.enter(a);
            now.addAndGet(Duration.ofMinutes(5).toNanos());
            call.succeeded();
        }
        assertThat(breakers.state("a")).hasValue(CircuitBreaker.State.CLOSED);
        assertThat(BreakerConfig.DEFAULT.countsSlowCalls()).isFalse();
    }

    @Test
    void metrics_oneSeriesPerState_andTransitionsCounted() {
        var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        breakers.bindTo(registry);
        Deployment a = d("m", "a");
        breakers.enter(a).failed(upstream(503));
        breakers.enter(a).failed(upstream(503));
        assertThat(registry.get("arbiter.breaker.state").tags("deployment", "a", "state", "open").gauge().value()).isEqualTo(1);
        assertThat(registry.get("arbiter.breaker.state").tags("deployment", "a", "state", "closed").gauge().value()).isZero();
        assertThat(registry.get("arbiter.breaker.transitions").tags("deployment", "a", "to", "open").counter().count()).isEqualTo(1);
        assertThat(registry.get("arbiter.breaker.state").tags("deployment", "b", "state", "closed").gauge().value()).isEqualTo(1);
    }

    @Test
    void config_extras_rejectNonsense() {
        var d = BreakerConfig.DEFAULT;
        assertThatThrownBy(() -> new BreakerConfig(true, 50, 5, 20, Duration.ofSeconds(10), 2, Duration.ZERO, 80, 0.5,
                Duration.ofMinutes(1))).isInstanceOf(ConfigException.class).hasMessageContaining("open-for-growth");
        assertThatThrownBy(() -> new BreakerConfig(true, 50, 5, 20, Duration.ofSeconds(10), 2, Duration.ZERO, 80, 2,
                Duration.ofSeconds(1))).isInstanceOf(ConfigException.class).hasMessageContaining("max-open-for");
        assertThatThrownBy(() -> new BreakerConfig(true, 50, 5, 20, Duration.ofSeconds(10), 2, Duration.ofSeconds(1), 0, 2,
                Duration.ofMinutes(1))).isInstanceOf(ConfigException.class).hasMessageContaining("slow-call-rate-threshold");
        assertThat(d.openFor(1)).isEqualTo(Duration.ofSeconds(60));
        assertThat(d.openFor(2)).isEqualTo(Duration.ofSeconds(120));
        assertThat(d.openFor(30)).isEqualTo(Duration.ofMinutes(10));
    }
}
