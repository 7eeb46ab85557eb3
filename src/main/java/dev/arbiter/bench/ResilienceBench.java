package dev.arbiter.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The figures of {@code arbiter bench resilience}: each scenario run twice against a gateway, through a model with
 * the resilience feature and through its twin without, and one table of the results. The gateways and the fake
 * upstreams are started by the CLI wiring; this class only sends requests and counts.
 */
public final class ResilienceBench {
    /** One line of the table: what was measured, without and with the feature, and which feature. */
    public record Row(String scenario, String without, String with, String feature) {}

    private static final String CHAT = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private final URI gateway;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    public ResilienceBench(URI gateway) {
        this.gateway = gateway;
    }

    /** One request to {@code model}: its status and how long it took, in nanoseconds. */
    private long[] call(String model) {
        long t0 = System.nanoTime();
        int status;
        try {
            status = client.send(HttpRequest.newBuilder(gateway.resolve("/v1/chat/completions")).timeout(Duration.ofSeconds(60))
                    .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(CHAT.formatted(model)))
                    .build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            status = 0;
        }
        return new long[] {status, System.nanoTime() - t0};
    }

    private List<long[]> run(String model, int n, int concurrency) throws Exception {
        try (ExecutorService pool = Executors.newFixedThreadPool(concurrency)) {
            var futures = new ArrayList<Future<long[]>>();
            for (int i = 0; i < n; i++) futures.add(pool.submit((Callable<long[]>) () -> call(model)));
            var out = new ArrayList<long[]>(n);
            for (var f : futures) out.add(f.get());
            return out;
        }
    }

    /** The share of {@code n} requests answered 200, {@code concurrency} at a time. */
    public double successRate(String model, int n, int concurrency) throws Exception {
        return run(model, n, concurrency).stream().filter(r -> r[0] == 200).count() / (double) n;
    }

    /** The wall time of {@code n} requests sent one after another. */
    public Duration sequentialTime(String model, int n) throws Exception {
        long t0 = System.nanoTime();
        run(model, n, 1);
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    /** The 99th percentile latency of {@code n} requests, {@code concurrency} at a time. */
    public Duration p99(String model, int n, int concurrency) throws Exception {
        var nanos = new ArrayList<Long>();
        for (long[] r : run(model, n, concurrency)) nanos.add(r[1]);
        Collections.sort(nanos);
        return Duration.ofNanos(nanos.get((int) Math.ceil(0.99 * nanos.size()) - 1));
    }

    public static String percent(double share) {
        return String.format(Locale.ROOT, "%.2f%%", share * 100);
    }

    public static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.2f s", d.toNanos() / 1e9);
    }

    public static String millis(Duration d) {
        return d.toMillis() + " ms";
    }

    /** The table, columns padded to their widest cell. */
    public static String table(List<Row> rows) {
        var all = new ArrayList<Row>();
        all.add(new Row("scenario", "without", "with", "feature"));
        all.addAll(rows);
        int a = 0;
        int b = 0;
        int c = 0;
        for (Row r : all) {
            a = Math.max(a, r.scenario().length());
            b = Math.max(b, r.without().length());
            c = Math.max(c, r.with().length());
        }
        var out = new StringBuilder();
        for (Row r : all) {
            out.append(pad(r.scenario(), a)).append("  ").append(pad(r.without(), b)).append("  ").append(pad(r.with(), c))
                    .append("  ").append(r.feature()).append('\n');
        }
        return out.toString();
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(width - s.length());
    }
}
