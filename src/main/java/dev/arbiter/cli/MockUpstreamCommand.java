package dev.arbiter.cli;

import dev.arbiter.config.ConfigException;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.mock.MockUpstream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "mock-upstream", mixinStandardHelpOptions = true,
        description = "Run Arbiter's fake LLM server (OpenAI chat/completions/embeddings and Anthropic messages) "
                + "for tests, demos and benchmarks. Answers are deterministic and labelled as fake.")
final class MockUpstreamCommand implements Callable<Integer> {
    @Option(names = {"-p", "--port"}, defaultValue = "9090", description = "Port (default: ${DEFAULT-VALUE}; 0 = any free port)")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--latency", defaultValue = "0ms", description = "Mean latency before answering, e.g. 20ms")
    String latency;

    @Option(names = "--latency-distribution", defaultValue = "fixed", description = "fixed, uniform, normal or lognormal")
    String distribution;

    @Option(names = "--latency-spread", defaultValue = "0ms", description = "Spread (uniform: ±, normal: stddev, lognormal: sigma × mean)")
    String spread;

    @Option(names = "--ttft", defaultValue = "0ms", description = "Extra time to first token of a stream")
    String ttft;

    @Option(names = "--tokens-per-second", defaultValue = "0", description = "Stream rate; 0 sends all tokens at once")
    double tokensPerSecond;

    @Option(names = "--output-tokens", defaultValue = "16", description = "Tokens per answer")
    int outputTokens;

    @Option(names = "--error-rate", defaultValue = "0", description = "Probability of an error status")
    double errorRate;

    @Option(names = "--error-status", split = ",", defaultValue = "500", description = "Statuses to fail with, e.g. 500,502,503")
    List<Integer> errorStatuses;

    @Option(names = "--rate-limit-rate", defaultValue = "0", description = "Probability of a 429 with Retry-After")
    double rateLimitRate;

    @Option(names = "--retry-after", defaultValue = "1s", description = "Retry-After sent with 429s")
    String retryAfter;

    @Option(names = "--hang-rate", defaultValue = "0", description = "Probability of never answering")
    double hangRate;

    @Option(names = "--reset-rate", defaultValue = "0", description = "Probability of closing the connection without an answer")
    double resetRate;

    @Option(names = "--malformed-rate", defaultValue = "0", description = "Probability of a malformed body")
    double malformedRate;

    @Option(names = "--drop-rate", defaultValue = "0", description = "Probability of cutting a stream before its final event")
    double dropRate;

    @Option(names = "--drop-after-tokens", defaultValue = "2", description = "Tokens sent before a dropped stream is cut")
    int dropAfterTokens;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of latency and fault draws")
    long seed;

    @Override
    public Integer call() throws InterruptedException {
        MockConfig config;
        try {
            var faults = new MockConfig.Faults(errorRate, errorStatuses, rateLimitRate, duration(retryAfter, "--retry-after"),
                    hangRate, resetRate, malformedRate, dropRate, dropAfterTokens);
            config = new MockConfig(new MockConfig.Latency(distribution, duration(latency, "--latency"), duration(spread, "--latency-spread")),
                    duration(ttft, "--ttft"), tokensPerSecond, outputTokens, MockConfig.DEFAULT.embeddingDimensions(), faults, seed);
        } catch (ConfigException e) {
            e.problems().forEach(p -> System.err.println("invalid option: " + p));
            return 2;
        }
        MockUpstream server;
        try {
            server = MockUpstream.start(host, port, config);
        } catch (IllegalStateException e) {
            System.err.println("mock-upstream did not start: " + e.getMessage());
            return 1;
        }
        System.err.println("mock-upstream (a fake LLM server) listening on http://" + host + ":" + server.port());
        var done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop();
            dev.arbiter.observe.Logs.stop();
            done.countDown();
        }));
        done.await();
        return 0;
    }

    private static Duration duration(String v, String option) {
        var m = java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m)?").matcher(v.trim());
        if (!m.matches()) throw new ConfigException(ConfigException.problem(option, v, "a duration such as 20ms or 1s"));
        double x = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "ms" : m.group(2);
        return Duration.ofNanos(Math.round(x * switch (unit) {
            case "s" -> 1e9;
            case "m" -> 60e9;
            default -> 1e6;
        }));
    }
}
