package dev.arbiter.cli;

import dev.arbiter.bench.BenchClient;
import dev.arbiter.bench.CpuWatch;
import dev.arbiter.bench.LoadGenerator;
import dev.arbiter.bench.Report;
import dev.arbiter.bench.Scenario;
import dev.arbiter.bench.Scenarios;
import dev.arbiter.bench.ThreadWatch;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true, subcommands = ResilienceBenchCommand.class,
        // picocli starts a new line at each element: one element per paragraph, never per wrapped source line
        description = {"Open-loop load test: the same requests sent straight to an upstream and through the gateway, "
                + "in alternating phases at a fixed rate; reports latency percentiles and the latency the gateway adds.",
                "bench/run.sh starts a mock-upstream and a gateway on loopback and runs this against them."})
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--rate", defaultValue = "1000", description = "Requests per second within a phase (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--duration", defaultValue = "20s", converter = DurationConverter.class,
            description = "Recorded time per scenario (default: ${DEFAULT-VALUE})")
    Duration duration;

    @Option(names = "--warmup", defaultValue = "5s", converter = DurationConverter.class,
            description = "Unrecorded warm-up per scenario (default: ${DEFAULT-VALUE})")
    Duration warmup;

    @Option(names = "--phase", defaultValue = "1s", converter = DurationConverter.class,
            description = "Length of one phase; scenarios take turns (default: ${DEFAULT-VALUE})")
    Duration phase;

    @Option(names = "--direct", defaultValue = "http://127.0.0.1:19090", description = "Upstream base URL (default: ${DEFAULT-VALUE})")
    URI direct;

    @Option(names = "--slow-direct", defaultValue = "http://127.0.0.1:19091", description = "Base URL of the slow upstream of the "
            + "*-chat-slow scenarios (bench/run.sh: a mock-upstream that waits 50 ms), which the gateway reaches as model bench-chat-slow "
            + "and the reference proxy under /slow (default: ${DEFAULT-VALUE})")
    URI slowDirect;

    @Option(names = "--gateway", defaultValue = "http://127.0.0.1:18080", description = "Gateway base URL (default: ${DEFAULT-VALUE})")
    URI gateway;

    @Option(names = "--reference", description = "Base URL of a reference reverse proxy in front of the same upstream (bench/run.sh "
            + "starts nginx when it is installed); adds a reference-* twin to each pass-through gateway scenario")
    URI reference;

    @Option(names = "--traced-gateway", description = "Base URL of a second gateway with OpenTelemetry tracing on (bench/run.sh "
            + "starts one with BENCH_TRACED=1); adds the gateway-chat-traced scenario")
    URI tracedGateway;

    @Option(names = "--logged-gateway", description = "Base URL of a gateway with the PostgreSQL request log on (bench/run.sh "
            + "starts one with BENCH_LOGGED=1); adds the gateway-chat-logged scenario")
    URI loggedGateway;

    @Option(names = "--redis-gateway", description = "Base URL of a gateway with redis: configured, which keeps the bench key's limits "
            + "in Redis (bench/run.sh starts one with BENCH_REDIS=1); adds the gateway-chat-keyed-redis scenario")
    URI redisGateway;

    @Option(names = "--reference-name", defaultValue = "reference", description = "What the report calls the reference proxy (default: ${DEFAULT-VALUE})")
    String referenceName;

    @Option(names = "--scenarios", split = ",", description = "Scenarios to run, comma-separated; a gateway scenario brings its baseline; "
            + "NAME@R runs a scenario (and its baseline and reference twin) at R requests/s instead of --rate, e.g. "
            + "gateway-chat@200,gateway-chat@1000,gateway-chat-slow@200 (default: the first seven of --list)")
    List<String> scenarios;

    @Option(names = "--list", description = "List the scenarios and exit")
    boolean list;

    @Option(names = "--client", defaultValue = "raw", description = "raw (minimal keep-alive socket client) or jdk (the JDK's HTTP client) (default: ${DEFAULT-VALUE})")
    String client;

    @Option(names = "--max-in-flight", defaultValue = "2000", description = "Requests of one scenario outstanding at once before new ones count as errors (default: ${DEFAULT-VALUE})")
    int maxInFlight;

    @Option(names = "--target-p50", defaultValue = "300", description = "Added p50 target, microseconds (default: ${DEFAULT-VALUE})")
    double targetP50;

    @Option(names = "--target-p99", defaultValue = "1000", description = "Added p99 target, microseconds (default: ${DEFAULT-VALUE})")
    double targetP99;

    @Option(names = "--json", description = "Also write the results as JSON to this file")
    Path json;

    @Option(names = "--watch", split = ",", description = "Processes whose CPU time to charge to each phase, as NAME=PID "
            + "(e.g. gateway=123,upstream=456), each with its child processes; this generator is always watched")
    Map<String, Long> watch = new LinkedHashMap<>();

    @Option(names = "--threads", description = "Also report, per scenario, each watched process's CPU time and context switches "
            + "per request by thread (from /proc/PID/task): which threads a request wakes")
    boolean threads;

    @Override
    public Integer call() throws Exception {
        var at = new Scenarios.Endpoints(direct, slowDirect, gateway, reference, tracedGateway, loggedGateway, redisGateway);
        if (list) {
            for (Scenario s : Scenarios.all(at)) {
                System.out.printf("%-34s POST %s%s%s%n", s.name(), s.base(), s.path(), s.proxied() ? "  (vs " + s.baseline() + ")" : "");
            }
            return 0;
        }
        List<Scenario> chosen;
        LoadGenerator.Plan plan;
        try {
            chosen = Scenarios.select(scenarios == null ? Scenarios.DEFAULT : scenarios, at);
            plan = new LoadGenerator.Plan(rate, duration, warmup, phase, maxInFlight);
        } catch (IllegalArgumentException e) {
            System.err.println("invalid option: " + e.getMessage());
            return 2;
        }
        Report report;
        try (BenchClient c = BenchClient.named(client)) {
            report = new LoadGenerator(c, plan, new CpuWatch(watch), new ThreadWatch(threads ? watch : Map.of()), System.err::println).run(chosen).referenceName(referenceName);
        } catch (IllegalArgumentException e) {
            System.err.println("invalid option: " + e.getMessage());
            return 2;
        } catch (IllegalStateException e) {
            System.err.println("bench stopped: " + e.getMessage());
            return 3;
        }
        System.out.print(report.text(targetP50, targetP99));
        if (json != null) report.writeJson(json);
        return report.errors() == 0 ? 0 : 1;
    }

    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m)?");

        @Override
        public Duration convert(String v) {
            var m = DURATION.matcher(v.trim());
            if (!m.matches()) throw new CommandLine.TypeConversionException("'" + v + "' (expected: a duration such as 500ms, 20s or 2m)");
            double x = Double.parseDouble(m.group(1));
            String unit = m.group(2) == null ? "s" : m.group(2);
            return Duration.ofNanos(Math.round(x * switch (unit) {
                case "ms" -> 1e6;
                case "m" -> 60e9;
                default -> 1e9;
            }));
        }
    }
}
