package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.mock.MockConfig;
import dev.arbiter.mock.MockUpstream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Hedged requests over real HTTP: two {@code mock-upstream}s where 5% of answers take 2 s, as the deployments of a
 * hedged model and of an unhedged one. Hedging must cut the p99 and stay within its budget.
 */
class HedgingE2eTest {
    private static MockConfig slowTail(long seed) {
        return new MockConfig(new MockConfig.Latency("fixed", Duration.ofMillis(5), Duration.ZERO, 0.05, Duration.ofSeconds(2)),
                Duration.ZERO, 0, 16, 64, MockConfig.Faults.NONE, seed);
    }

    private static long p99Millis(List<Long> nanos) {
        var sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        return Duration.ofNanos(sorted.get((int) Math.ceil(0.99 * sorted.size()) - 1)).toMillis();
    }

    private record Run(List<Long> latencies, List<HttpResponse<String>> answers) {}

    private static Run run(Fixture f, String model, int n, boolean stream) throws Exception {
        try (var pool = Executors.newFixedThreadPool(10)) {
            var futures = new ArrayList<Future<Object[]>>();
            for (int i = 0; i < n; i++) {
                futures.add(pool.submit(() -> {
                    long t0 = System.nanoTime();
                    var r = f.post("/v1/chat/completions", FaultsTest.CHAT.formatted(model, stream ? ",\"stream\":true" : ""));
                    return new Object[] {System.nanoTime() - t0, r};
                }));
            }
            var latencies = new ArrayList<Long>();
            var answers = new ArrayList<HttpResponse<String>>();
            for (var fu : futures) {
                Object[] o = fu.get();
                latencies.add((Long) o[0]);
                @SuppressWarnings("unchecked") var r = (HttpResponse<String>) o[1];
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                if (stream) assertThat(EndpointsTest.sseData(r.body()).getLast()).isEqualTo("[DONE]");
                answers.add(r);
            }
            return new Run(latencies, answers);
        }
    }

    @Test
    void fivePercentSlowAnswers_hedgingCutsTheP99_withinItsBudget() throws Exception {
        var one = MockUpstream.start("127.0.0.1", 0, slowTail(1));
        var two = MockUpstream.start("127.0.0.1", 0, slowTail(2));
        String deployments = """
                    deployments:
                      - {name: one, provider: openai, base-url: "http://127.0.0.1:%d/v1", timeout: 20s}
                      - {name: two, provider: openai, base-url: "http://127.0.0.1:%d/v1", timeout: 20s}
                """.formatted(one.port(), two.port());
        String models = "  - name: plain\n" + deployments
                + "  - name: hedged\n    hedge: {after: 200ms, budget: 10%}\n" + deployments;
        try (var f = new Fixture(MockConfig.DEFAULT, "", models)) {
            int n = 400;
            Run plain = run(f, "plain", n, false);
            long callsBefore = one.stats().totalRequests() + two.stats().totalRequests();
            Run hedged = run(f, "hedged", n, false);
            long calls = one.stats().totalRequests() + two.stats().totalRequests() - callsBefore;
            long hedges = hedged.answers().stream().filter(r -> r.headers().firstValue("x-arbiter-hedge").isPresent()).count();

            assertThat(p99Millis(plain.latencies())).as("without hedging, the slow 5%% set the p99").isGreaterThanOrEqualTo(1900);
            assertThat(p99Millis(hedged.latencies())).as("hedged p99").isLessThan(1000);
            assertThat(hedges).as("hedges were sent").isPositive();
            // within budget: 10% of the requests plus the bucket's burst of 5
            assertThat(calls - n).as("extra upstream calls").isLessThanOrEqualTo((long) (0.10 * n) + 5);
            assertThat(hedges).isEqualTo(calls - n);
            assertThat(hedged.answers().stream().filter(r -> "won".equals(r.headers().firstValue("x-arbiter-hedge").orElse(null))))
                    .as("the hedge answered first where the first attempt was slow").isNotEmpty();
            var metrics = f.get("/metrics").body();
            assertThat(metrics).containsPattern("arbiter_hedges_total\\{model=\"hedged\",outcome=\"sent\"} " + hedges + "\\.0");

            // streams before their first event are hedged the same way
            // (5% slow: about 10 of 200 without hedging; with it, those whose hedge was slow too, and the few a busy
            // machine leaves unhedged once the budget's bucket is empty: at most half of the unhedged count; 3 was
            // exceeded once in a full suite with other builds running)
            Run streams = run(f, "hedged", 200, true);
            assertThat(streams.latencies().stream().filter(t -> t > 1_000_000_000L).count()).isLessThanOrEqualTo(5);
            assertThat(streams.answers().stream().filter(r -> r.headers().firstValue("x-arbiter-hedge").isPresent())).isNotEmpty();
        } finally {
            one.stop();
            two.stop();
        }
    }
}
