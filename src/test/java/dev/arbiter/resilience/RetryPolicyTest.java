package dev.arbiter.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.cli.Sections;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.mock.MockProvider;
import dev.arbiter.pipeline.Trace;
import dev.arbiter.provider.Deployment;
import dev.arbiter.route.AttemptPolicy;
import dev.arbiter.route.ModelRegistry;
import dev.arbiter.route.Plan;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** The retry rule alone, without I/O: classification, where the next attempt goes, backoff and jitter bounds, deadline. */
class RetryPolicyTest {
    private static final String YAML = """
            models:
              - name: m
                retry: {max-attempts: 4, backoff: exponential, initial-delay: 100ms, max-delay: 1s, jitter: none}
                fallbacks: [big]
                deployments:
                  - {name: a, provider: mock, context-window: 2048}
                  - {name: b, provider: mock, context-window: 2048}
              - name: solo
                deployments: [{name: only, provider: mock}]
              - name: big
                deployments: [{name: large, provider: mock, context-window: 131072}]
            """;
    private static final Duration LOTS = Duration.ofMinutes(10);

    private final dev.arbiter.config.ArbiterConfig cfg = Sections.loader(k -> null)
            .parse(new ByteArrayInputStream(YAML.getBytes(StandardCharsets.UTF_8)), "test.yaml");
    private final ModelRegistry registry = new ModelRegistry(cfg, d -> new MockProvider(d.section(MockConfig.SECTION)),
            d -> WireFormat.OPENAI_CHAT);
    private final RetryPolicy policy = RetryPolicy.of(cfg);

    @AfterEach
    void close() {
        registry.close();
    }

    private Plan plan(String model) {
        var m = registry.resolve(model);
        var candidates = new ArrayList<>(m.deployments());
        for (var fb : Fallbacks.chains(cfg, registry).getOrDefault(model, List.of())) candidates.addAll(fb.deployments());
        return new Plan(m, candidates, "in-order");
    }

    private static Trace.AttemptRecord failed(int n, Deployment d, int status) {
        return new Trace.AttemptRecord(n, d.model(), d.name(), "mock", 0, -1, 1, status, "x");
    }

    private static ArbiterException.Upstream upstream(int status) {
        return new ArbiterException.Upstream(status, "upstream failed (HTTP " + status + ")", "upstream_http_" + status, null);
    }

    @ParameterizedTest
    @CsvSource({"0,TRANSIENT", "408,TRANSIENT", "409,TRANSIENT", "425,TRANSIENT", "429,TRANSIENT", "500,TRANSIENT",
            "502,TRANSIENT", "503,TRANSIENT", "504,TRANSIENT", "529,TRANSIENT", "400,FINAL", "401,FINAL", "403,FINAL",
            "404,FINAL", "413,FINAL", "422,FINAL", "501,FINAL"})
    void classify_upstreamStatus_followsTheTable(int status, FailureClass expected) {
        assertThat(FailureClass.of(upstream(status))).isEqualTo(expected);
    }

    @Test
    void classify_contextLengthRefusal_contentPolicyAndArbitersOwnFailures() {
        assertThat(FailureClass.of(new ArbiterException.Upstream(400, "upstream x rejected the request (HTTP 400): This model's "
                + "maximum context length is 2048 tokens", "upstream_http_400", null))).isEqualTo(FailureClass.CONTEXT_LENGTH);
        assertThat(FailureClass.of(new ArbiterException.Upstream(400, "upstream x rejected the request (HTTP 400): "
                + "content_policy_violation", "upstream_http_400", null))).isEqualTo(FailureClass.FINAL);
        assertThat(FailureClass.of(new ArbiterException.Upstream(502, "malformed", "upstream_bad_response", null)))
                .isEqualTo(FailureClass.TRANSIENT);
        assertThat(FailureClass.of(new ArbiterException.Upstream(0, "cancelled", "cancelled", null))).isEqualTo(FailureClass.FINAL);
        assertThat(FailureClass.of(new ArbiterException.DeadlineExceeded("late"))).isEqualTo(FailureClass.FINAL);
        assertThat(FailureClass.of(new ArbiterException.BadRequest("bad", null))).isEqualTo(FailureClass.FINAL);
        assertThat(FailureClass.of(new ArbiterException.Overloaded("full", null, false))).isEqualTo(FailureClass.ELSEWHERE);
    }

    @Test
    void afterFailure_final_givesUp() {
        Plan p = plan("m");
        var next = policy.afterFailure(p, List.of(failed(1, p.candidates().get(0), 400)), upstream(400), LOTS);
        assertThat(next).isInstanceOf(AttemptPolicy.GiveUp.class);
    }

    @Test
    void afterFailure_transient_movesThroughThePlanAtOnce_thenBacksOff_upToMaxAttempts() {
        Plan p = plan("m");
        var a = p.candidates().get(0);
        var b = p.candidates().get(1);
        var large = p.candidates().get(2);
        var attempts = new ArrayList<>(List.of(failed(1, a, 503)));
        assertThat(policy.afterFailure(p, attempts, upstream(503), LOTS)).isEqualTo(new AttemptPolicy.Retry(b, Duration.ZERO));
        attempts.add(failed(2, b, 500));
        assertThat(policy.afterFailure(p, attempts, upstream(500), LOTS)).isEqualTo(new AttemptPolicy.Retry(large, Duration.ZERO));
        attempts.add(failed(3, large, 0));
        // back to one already tried: exponential, no jitter, third retry = 100 ms * 4
        assertThat(policy.afterFailure(p, attempts, upstream(0), LOTS)).isEqualTo(new AttemptPolicy.Retry(a, Duration.ofMillis(400)));
        attempts.add(failed(4, a, 503));
        assertThat(policy.afterFailure(p, attempts, upstream(503), LOTS)).isInstanceOf(AttemptPolicy.GiveUp.class);
    }

    @Test
    void afterFailure_retryAfter_onTheOnlyDeployment_waitsThatLong_orGivesUpAboveMaxDelay() {
        Plan p = plan("solo");
        var only = p.candidates().getFirst();
        var attempts = List.of(failed(1, only, 429));
        var hint = new ArbiterException.Upstream(429, "rate limited", "upstream_http_429", Duration.ofMillis(1500));
        var next = policy.afterFailure(p, attempts, hint, LOTS);
        assertThat(next).isEqualTo(new AttemptPolicy.Retry(only, Duration.ofMillis(1500)));
        var tooLong = new ArbiterException.Upstream(429, "rate limited", "upstream_http_429", Duration.ofSeconds(60));
        assertThat(policy.afterFailure(p, attempts, tooLong, LOTS)).isInstanceOf(AttemptPolicy.GiveUp.class);
    }

    @Test
    void afterFailure_retryAfter_withAnotherDeploymentFree_goesThereAtOnce() {
        Plan p = plan("m");
        var hint = new ArbiterException.Upstream(429, "rate limited", "upstream_http_429", Duration.ofSeconds(2));
        var next = policy.afterFailure(p, List.of(failed(1, p.candidates().get(0), 429)), hint, LOTS);
        assertThat(next).isEqualTo(new AttemptPolicy.Retry(p.candidates().get(1), Duration.ZERO));
    }

    @Test
    void afterFailure_contextLength_goesToTheLargerFallback_notAnotherDeploymentOfTheSameSize() {
        Plan p = plan("m");
        var tooLong = new ArbiterException.Upstream(400, "upstream a rejected the request (HTTP 400): the request exceeds the "
                + "available context size", "upstream_http_400", null);
        var next = policy.afterFailure(p, List.of(failed(1, p.candidates().get(0), 400)), tooLong, LOTS);
        assertThat(next).isEqualTo(new AttemptPolicy.Retry(p.candidates().get(2), Duration.ZERO));
        var none = policy.afterFailure(p, List.of(failed(1, p.candidates().get(0), 400), failed(2, p.candidates().get(2), 400)),
                tooLong, LOTS);
        assertThat(none).isInstanceOf(AttemptPolicy.GiveUp.class);
    }

    @Test
    void afterFailure_neverAsksForAWaitPastTheDeadline() {
        Plan p = plan("solo");
        var only = p.candidates().getFirst();
        var hint = new ArbiterException.Upstream(429, "rate limited", "upstream_http_429", Duration.ofMillis(800));
        assertThat(policy.afterFailure(p, List.of(failed(1, only, 429)), hint, Duration.ofMillis(500)))
                .isInstanceOf(AttemptPolicy.GiveUp.class);
        var strict = new RetryPolicy(Map.of("solo", new RetryConfig(3, RetryConfig.Backoff.FIXED, Duration.ofSeconds(1),
                Duration.ofSeconds(1), RetryConfig.Jitter.NONE)), () -> 0.5);
        assertThat(strict.afterFailure(p, List.of(failed(1, only, 503)), upstream(503), Duration.ofMillis(999)))
                .isInstanceOf(AttemptPolicy.GiveUp.class);
        assertThat(strict.afterFailure(p, List.of(failed(1, only, 503)), upstream(503), Duration.ofMillis(1001)))
                .isEqualTo(new AttemptPolicy.Retry(only, Duration.ofSeconds(1)));
    }

    @ParameterizedTest
    @EnumSource(RetryConfig.Jitter.class)
    void delay_staysWithinItsBounds_forEveryBackoffAndJitter(RetryConfig.Jitter jitter) {
        var random = new Random(17);
        for (RetryConfig.Backoff backoff : RetryConfig.Backoff.values()) {
            var c = new RetryConfig(20, backoff, Duration.ofMillis(100), Duration.ofSeconds(5), jitter);
            for (int n = 1; n <= 20; n++) {
                long base = Math.min(5000, switch (backoff) {
                    case FIXED -> 100L;
                    case LINEAR -> 100L * n;
                    case EXPONENTIAL -> 100L << Math.min(n - 1, 30);
                });
                for (int k = 0; k < 200; k++) {
                    long ms = c.delay(n, random.nextDouble()).toMillis();
                    switch (jitter) {
                        case NONE -> assertThat(ms).isEqualTo(base);
                        case FULL -> assertThat(ms).isBetween(0L, base);
                        case EQUAL -> assertThat(ms).isBetween(base / 2, base);
                        case DECORRELATED -> assertThat(ms).isBetween(100L, 5000L);
                    }
                }
            }
        }
    }

    @Test
    void delay_fullJitter_spreadsOverTheWholeRange() {
        var c = RetryConfig.DEFAULT;
        assertThat(c.delay(1, 0.0)).isEqualTo(Duration.ZERO);
        assertThat(c.delay(1, 0.999).toMillis()).isEqualTo(99);
        assertThat(c.delay(3, 0.5)).isEqualTo(Duration.ofMillis(200));
        assertThat(c.delay(40, 0.999999).toMillis()).isLessThanOrEqualTo(5000).isGreaterThan(4990);
    }

    @Test
    void holdStreams_onlyWhenAnotherAttemptMayFollow() {
        assertThat(policy.holdStreams(plan("m"))).isTrue();
        var once = new RetryPolicy(Map.of("solo", new RetryConfig(1, RetryConfig.Backoff.FIXED, Duration.ZERO, Duration.ZERO,
                RetryConfig.Jitter.NONE)), () -> 0.5);
        assertThat(once.holdStreams(plan("solo"))).isFalse();
        assertThat(once.afterFailure(plan("solo"), List.of(failed(1, plan("solo").candidates().getFirst(), 503)), upstream(503), LOTS))
                .isInstanceOf(AttemptPolicy.GiveUp.class);
    }

    @Test
    void afterFailure_anotherCandidateCoolingDown_goesToTheFreeOneAtOnce_orWaitsForTheSoonest() {
        Plan p = plan("m");
        var a = p.candidates().get(0);
        var b = p.candidates().get(1);
        var large = p.candidates().get(2);
        var cooling = new java.util.HashMap<Deployment, Duration>();
        var stateful = new RetryPolicy(Map.of("m", cfg.models().getFirst().section(RetryConfig.SECTION)), () -> 0.5,
                d -> cooling.getOrDefault(d, Duration.ZERO));
        // b cools down (another request's 429): a's failure goes past it to the free fallback at once
        cooling.put(b, Duration.ofMillis(300));
        assertThat(stateful.afterFailure(p, List.of(failed(1, a, 503)), upstream(503), LOTS))
                .isEqualTo(new AttemptPolicy.Retry(large, Duration.ZERO));
        // nothing free: the one free soonest, after its cooldown
        cooling.put(large, Duration.ofMillis(800));
        cooling.put(a, Duration.ofMillis(500));
        assertThat(stateful.afterFailure(p, List.of(failed(1, a, 503)), upstream(503), LOTS))
                .isEqualTo(new AttemptPolicy.Retry(b, Duration.ofMillis(300)));
        // a cooldown or open circuit longer than max-delay (1 s) is never waited for
        cooling.put(b, Duration.ofSeconds(30));
        cooling.put(large, Duration.ofSeconds(30));
        cooling.put(a, Duration.ofSeconds(30));
        assertThat(stateful.afterFailure(p, List.of(failed(1, a, 503)), upstream(503), LOTS)).isInstanceOf(AttemptPolicy.GiveUp.class);
    }
}
