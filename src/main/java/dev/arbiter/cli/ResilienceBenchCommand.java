package dev.arbiter.cli;

import dev.arbiter.bench.DedupReplay;
import dev.arbiter.bench.ResilienceBench;
import dev.arbiter.bench.ResilienceBench.Row;
import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.mock.MockUpstream;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "resilience", mixinStandardHelpOptions = true,
        description = {"Replays the resilience scenarios against in-process mock upstreams and a gateway on loopback, each "
                + "through a model with the feature and through its twin without, and prints one table: success rate at 5% "
                + "transient faults with and without retries; time to fail 100 requests while the upstream hangs, with and "
                + "without the circuit breaker; p99 when 5% of answers take 2 s, with and without hedging; upstream calls on a trace with concurrent duplicates, with and without single-flight. Takes about a minute."})
final class ResilienceBenchCommand implements Callable<Integer> {
    @Option(names = "--requests", defaultValue = "2000", description = "Requests per side of the faults scenario (default: ${DEFAULT-VALUE})")
    int requests;

    @Option(names = "--hedge-requests", defaultValue = "400", description = "Requests per side of the slow-tail scenario (default: ${DEFAULT-VALUE})")
    int hedgeRequests;

    @Option(names = "--outage-requests", defaultValue = "100", description = "Requests per side of the outage scenario (default: ${DEFAULT-VALUE})")
    int outageRequests;

    @Option(names = "--dedup-requests", defaultValue = "400", description = "Requests per side of the duplicates scenario (default: ${DEFAULT-VALUE})")
    int dedupRequests;

    private static MockUpstream mock(MockConfig config) {
        return MockUpstream.start("127.0.0.1", 0, config);
    }

    private static String deployment(String name, MockUpstream m, String more) {
        return "{name: %s, provider: openai, base-url: \"http://127.0.0.1:%d/v1\"%s}".formatted(name, m.port(), more);
    }

    @Override
    public Integer call() throws Exception {
        var n = MockConfig.Faults.NONE;
        // 5% transient faults: 500 and 503 (2.5%), 429 with a short Retry-After (1.25%), connection resets (1.25%)
        var faulty = mock(MockConfig.DEFAULT.withFaults(new MockConfig.Faults(0.025, List.of(500, 503), 0.0125,
                Duration.ofMillis(20), 0, 0.0125, 0, 0, 2)));
        // an upstream that is down the slow way: it accepts and never answers (each call ends at the 100 ms timeout)
        var hanging = mock(MockConfig.DEFAULT.withFaults(new MockConfig.Faults(0, n.errorStatuses(), 0, n.retryAfter(), 1, 0, 0, 0, 2)));
        // 5% of answers take 2 s, two independent upstreams
        var slowA = mock(new MockConfig(new MockConfig.Latency("fixed", Duration.ofMillis(5), Duration.ZERO, 0.05,
                Duration.ofSeconds(2)), Duration.ZERO, 0, 16, 64, n, 1));
        var slowB = mock(new MockConfig(new MockConfig.Latency("fixed", Duration.ofMillis(5), Duration.ZERO, 0.05,
                Duration.ofSeconds(2)), Duration.ZERO, 0, 16, 64, n, 2));
        // answers in 300 ms, so requests repeated within 150 ms are in flight together
        var steady = mock(new MockConfig(new MockConfig.Latency("fixed", Duration.ofMillis(300), Duration.ZERO), Duration.ZERO, 0, 16, 8, n, 1));
        String slowPair = "[" + deployment("slow-a", slowA, "") + ", " + deployment("slow-b", slowB, "") + "]";
        String hang = deployment("down", hanging, ", timeout: 100ms");
        String yaml = """
                server: {host: 127.0.0.1, port: 0}
                models:
                  - {name: faults-no-retry, retry: {max-attempts: 1}, deployments: [%s]}
                  - {name: faults-retry, deployments: [%s]}
                  - {name: outage-no-breaker, retry: {max-attempts: 1}, deployments: [%s]}
                  - {name: outage-breaker, retry: {max-attempts: 1}, deployments: [%s]}
                  - {name: tail-plain, deployments: %s}
                  - {name: tail-hedged, hedge: {after: 200ms, budget: 10%%}, deployments: %s}
                  - {name: dedup, deployments: [%s]}
                """.formatted(deployment("flaky", faulty, ""), deployment("flaky", faulty, ""),
                hang.replace("}", ", circuit-breaker: {enabled: false}}"), hang, slowPair, slowPair, deployment("steady", steady, ""));
        ArbiterConfig config = Sections.loader(k -> null).parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)),
                "bench-resilience.yaml");
        var gateway = Gateway.start(config);
        try {
            var bench = new ResilienceBench(URI.create("http://127.0.0.1:" + gateway.port()));
            var rows = new ArrayList<Row>();
            System.err.println("faults: " + requests + " requests per side ...");
            rows.add(new Row("success rate, 5% transient faults (" + requests + " requests)",
                    ResilienceBench.percent(bench.successRate("faults-no-retry", requests, 16)),
                    ResilienceBench.percent(bench.successRate("faults-retry", requests, 16)), "retries (3 attempts)"));
            System.err.println("outage: " + outageRequests + " requests per side, one at a time ...");
            rows.add(new Row("time to fail " + outageRequests + " requests, upstream hanging (100 ms timeout)",
                    ResilienceBench.seconds(bench.sequentialTime("outage-no-breaker", outageRequests)),
                    ResilienceBench.seconds(bench.sequentialTime("outage-breaker", outageRequests)), "circuit breaker"));
            System.err.println("slow tail: " + hedgeRequests + " requests per side ...");
            rows.add(new Row("p99, 5% of answers take 2 s (" + hedgeRequests + " requests)",
                    ResilienceBench.millis(bench.p99("tail-plain", hedgeRequests, 10)),
                    ResilienceBench.millis(bench.p99("tail-hedged", hedgeRequests, 10)), "hedging (after 200ms, budget 10%)"));
            System.err.println("duplicates: " + dedupRequests + " requests per side at 100/s ...");
            var dedup = DedupReplay.run(URI.create("http://127.0.0.1:" + gateway.port()), URI.create("http://127.0.0.1:" + steady.port()),
                    "dedup", dedupRequests, 0.3, 100, Duration.ofMillis(150), 17);
            rows.add(new Row("upstream calls, " + dedupRequests + " requests, " + dedup.duplicates() + " concurrent duplicates",
                    Long.toString(dedup.callsWithout()), Long.toString(dedup.callsWith()),
                    String.format(java.util.Locale.ROOT, "single-flight (%.1f%% saved)", 100 * dedup.savedShare())));
            System.out.print(ResilienceBench.table(rows));
            return 0;
        } finally {
            gateway.close();
            for (MockUpstream m : List.of(faulty, hanging, slowA, slowB, steady)) m.stop();
        }
    }
}
