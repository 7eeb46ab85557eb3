package dev.arbiter.analyze;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.arbiter.llm.Usage;
import dev.arbiter.observe.Outcome;
import dev.arbiter.pipeline.Trace;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The analyzer fed outcomes directly, on a fake clock: what degrades a deployment, what does not, and recovery. */
class AnalyzerTest {
    private final AtomicLong millis = new AtomicLong(1_000_000);
    private final InstantSource clock = () -> Instant.ofEpochMilli(millis.get());
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final SplittableRandom random = new SplittableRandom(11);

    private static AnalyzerConfig config(List<AnalyzerConfig.Rule> rules, List<URI> hooks) {
        return new AnalyzerConfig(true, 0.1, 30, Duration.ofMillis(50), 0.5, 0.1, Duration.ofSeconds(5), Duration.ofSeconds(60),
                Duration.ofSeconds(60), rules, hooks);
    }

    private static Outcome outcome(String deployment, double seconds, boolean failed, double cost) {
        var nanos = new AtomicLong();
        var trace = new Trace(nanos::get);
        var a = trace.begin("chat", deployment, "mock");
        nanos.addAndGet((long) (seconds * 1e9));
        a.end(failed ? 500 : 200, failed ? "upstream_error" : null);
        return new Outcome("r", "anonymous", "chat", "chat", "chat", "chat", deployment, "mock", false, failed ? 502 : 200,
                failed ? "upstream_error" : null, new Usage(10, 20, 0, 0, 0, false), cost, (long) (seconds * 1e9), -1, trace);
    }

    /** Feeds {@code n} attempts of latency around {@code mean} seconds (±20% uniform jitter), 100 ms apart. */
    private void feed(Analyzer a, String deployment, int n, double mean) {
        for (int i = 0; i < n; i++) {
            millis.addAndGet(100);
            a.process(outcome(deployment, mean * (0.8 + 0.4 * random.nextDouble()), false, 0.001));
        }
    }

    private long detections(String deployment) {
        return meters.find("arbiter.detections").tag("deployment", deployment).counters().stream().mapToLong(c -> (long) c.count()).sum();
    }

    @Test
    void latencySteppedUp_degradedThenRecoversOnceBack() {
        var a = new Analyzer(config(List.of(), List.of()), meters, clock);
        var fast = deployment("a");
        feed(a, "a", 500, 0.100);
        assertThat(a.weightFactor(fast)).isEqualTo(1.0);
        int n = 0;
        while (!a.degraded("chat", "a") && n < 100) {
            feed(a, "a", 1, 0.400);
            n++;
        }
        assertThat(n).as("attempts to detect a 4x step").isBetween(1, 40);
        assertThat(a.weightFactor(fast)).isEqualTo(0.1);
        var drift = a.detections().getFirst();
        assertThat(drift.kind()).isEqualTo("drift");
        assertThat(drift.metric()).isEqualTo("latency");
        assertThat(drift.baseline()).isCloseTo(0.1, org.assertj.core.data.Offset.offset(0.01));
        assertThat(a.detections()).filteredOn(d -> !d.kind().equals("anomaly")).hasSize(1);
        feed(a, "a", 200, 0.400);
        assertThat(a.degraded("chat", "a")).as("still slow: still degraded").isTrue();
        feed(a, "a", 100, 0.100);
        assertThat(a.degraded("chat", "a")).isFalse();
        assertThat(meters.find("arbiter.detections").tags("deployment", "a", "detector", drift.detector()).counter().count()).isEqualTo(1);
        assertThat(detections("a")).as("the drift and the anomalies at the step").isEqualTo(a.detections().stream()
                .filter(d -> !d.kind().equals("recovered")).count());
        assertThat(a.weightFactor(fast)).isEqualTo(1.0);
        assertThat(a.detections().getFirst().kind()).isEqualTo("recovered");
        assertThat(a.state().get("deployments").get(0).get("stats").get("cost_per_request_usd").asDouble()).isEqualTo(0.001);
    }

    @Test
    void stationaryJitteredLatency_quiet() {
        var a = new Analyzer(config(List.of(), List.of()), meters, clock);
        for (int i = 0; i < 20_000; i++) {
            millis.addAndGet(50);
            // lognormal latency with a heavy tail, median 200 ms
            a.process(outcome("a", 0.2 * Math.exp(0.3 * Streams.gaussian(random)), false, 0));
        }
        assertThat(a.detections()).filteredOn(d -> !d.kind().equals("anomaly")).isEmpty();
        assertThat(a.degraded("chat", "a")).isFalse();
    }

    @Test
    void tinyLatencyShift_significantButBelowTheMargin_notDegraded() {
        var a = new Analyzer(config(List.of(), List.of()), meters, clock);
        feed(a, "a", 500, 0.001);
        feed(a, "a", 500, 0.010);   // tenfold, but 9 ms: below min-latency-increase
        assertThat(a.degraded("chat", "a")).isFalse();
        assertThat(a.detections()).isEmpty();
    }

    @Test
    void errorRateSteppedUp_degradedByErrors() {
        var a = new Analyzer(config(List.of(), List.of()), meters, clock);
        feed(a, "b", 300, 0.1);
        for (int i = 0; i < 200 && !a.degraded("chat", "b"); i++) {
            millis.addAndGet(100);
            a.process(outcome("b", 0.05, i % 2 == 0, 0));
        }
        assertThat(a.degraded("chat", "b")).isTrue();
        assertThat(a.detections().getFirst().metric()).isEqualTo("error-rate");
        assertThat(a.detections().getFirst().detector()).isEqualTo("adwin");
    }

    @Test
    void p95Rule_firesOnlyAfterItsDuration_andRecovers() {
        var rule = new AnalyzerConfig.Rule(AnalyzerConfig.Metric.P95_LATENCY, 0.5, Duration.ofSeconds(10));
        var a = new Analyzer(config(List.of(rule), List.of()), meters, clock);
        // slow from the start: the drift detectors learn it as the baseline, the rule does not
        for (int s = 0; s < 9; s++) {
            feed(a, "c", 10, 0.8);
            a.tick();
        }
        assertThat(a.degraded("chat", "c")).as("above for 9 s of 10").isFalse();
        feed(a, "c", 20, 0.8);
        a.tick();
        assertThat(a.degraded("chat", "c")).isTrue();
        assertThat(a.detections().getFirst().kind()).isEqualTo("threshold");
        assertThat(a.detections().getFirst().detector()).isEqualTo("p95-latency");
        millis.addAndGet(61_000);   // the window empties
        feed(a, "c", 20, 0.1);
        a.tick();
        assertThat(a.degraded("chat", "c")).isFalse();
    }

    @Test
    void spendRule_reportsWithoutDegrading() {
        var rule = new AnalyzerConfig.Rule(AnalyzerConfig.Metric.SPEND_RATE, 1.0, Duration.ZERO);
        var a = new Analyzer(config(List.of(rule), List.of()), meters, clock);
        for (int i = 0; i < 100; i++) {
            millis.addAndGet(100);
            a.process(outcome("d", 0.1, false, 0.01));   // $0.10 a second: $360 an hour
        }
        a.tick();
        assertThat(a.detections()).extracting(Detection::detector).containsExactly("spend-rate");
        assertThat(a.degraded("chat", "d")).isFalse();
    }

    @Test
    void detection_postedToWebhook() throws Exception {
        var received = new LinkedBlockingQueue<String>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/hook", ex -> {
            received.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        server.start();
        var rule = new AnalyzerConfig.Rule(AnalyzerConfig.Metric.SPEND_RATE, 1.0, Duration.ZERO);
        try (var a = new Analyzer(config(List.of(rule), List.of(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hook"))),
                meters, clock)) {
            for (int i = 0; i < 10; i++) a.process(outcome("d", 0.1, false, 1));
            a.tick();
            String body = received.poll(10, TimeUnit.SECONDS);
            assertThat(body).contains("\"kind\":\"threshold\"").contains("\"deployment\":\"d\"").contains("\"detector\":\"spend-rate\"");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void record_fullQueue_dropsAndCountsWithoutBlocking() {
        var a = new Analyzer(config(List.of(), List.of()), meters, clock);   // not started: nothing drains the queue
        var o = outcome("a", 0.1, false, 0);
        long start = System.nanoTime();
        for (int i = 0; i < 10_100; i++) a.record(o);
        assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(1));
        assertThat(meters.find("arbiter.analyzer.dropped").functionCounter().count()).isEqualTo(100);
    }

    private static dev.arbiter.provider.Deployment deployment(String name) {
        var config = new dev.arbiter.config.DeploymentConfig(name, "mock", "m", null, null, 1, null, null, Duration.ofSeconds(1),
                Duration.ofSeconds(1), 0, null, null, dev.arbiter.config.SectionValues.NONE);
        return new dev.arbiter.provider.Deployment("chat", config, null, null, dev.arbiter.llm.WireFormat.OPENAI_CHAT);
    }
}
