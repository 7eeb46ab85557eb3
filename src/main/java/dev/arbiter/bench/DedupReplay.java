package dev.arbiter.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.wire.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The resilience report's deduplication row: "upstream calls saved by single-flight on a trace with duplicates". A
 * trace of {@code requests} chat requests (temperature 0) is sent open-loop at {@code rate} per second; a share
 * {@code duplicateShare} of them repeat a prompt sent in the previous {@code window}, as retry storms and fan-out do,
 * so they arrive while the first is still in flight. The trace is sent twice through one gateway in front of
 * {@code mock-upstream}: once with {@code x-arbiter-single-flight: off}, once as is; the mock's own request count
 * ({@code GET /mock/stats}) after each pass gives the upstream calls made. Each pass's prompts carry their own nonce,
 * so a response cache in front of single-flight cannot serve the second pass.
 */
public final class DedupReplay {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    /** What one replay measured. */
    public record Row(int requests, int duplicates, long callsWithout, long callsWith, int failures) {
        public long saved() {
            return callsWithout - callsWith;
        }

        /** The share of the upstream calls single-flight saved, 0..1. */
        public double savedShare() {
            return callsWithout == 0 ? 0 : saved() / (double) callsWithout;
        }

        /** The row as the report prints it. */
        public String line() {
            return String.format(Locale.ROOT, "dedup: %d requests (%d concurrent duplicates): upstream calls %d without single-flight, "
                    + "%d with: %d saved (%.1f%%)%s", requests, duplicates, callsWithout, callsWith, saved(), 100 * savedShare(),
                    failures == 0 ? "" : ", " + failures + " failed requests");
        }
    }

    /** The trace: for each request, the prompt number it sends and its send offset. */
    record Trace(int[] prompts, long[] offsetsNanos, int duplicates) {
        static Trace of(int requests, double duplicateShare, int rate, Duration window, long seed) {
            var random = new SplittableRandom(seed);
            int[] prompts = new int[requests];
            long[] offsets = new long[requests];
            long gap = 1_000_000_000L / rate;
            int back = (int) Math.max(1, window.toNanos() / gap);
            int distinct = 0;
            int duplicates = 0;
            for (int i = 0; i < requests; i++) {
                offsets[i] = i * gap;
                if (i > 0 && random.nextDouble() < duplicateShare) {
                    prompts[i] = prompts[Math.max(0, i - 1 - random.nextInt(Math.min(i, back)))];
                    duplicates++;
                } else {
                    prompts[i] = distinct++;
                }
            }
            return new Trace(prompts, offsets, duplicates);
        }
    }

    private DedupReplay() {
    }

    /**
     * Replays the trace against {@code gateway} (its base URL) for {@code model}, counting calls at {@code mock} (the
     * mock upstream's base URL); the mock should take longer to answer than {@code window} (e.g. 300 ms against 150 ms).
     */
    public static Row run(URI gateway, URI mock, String model, int requests, double duplicateShare, int rate, Duration window,
                          long seed) throws IOException, InterruptedException {
        Trace trace = Trace.of(requests, duplicateShare, rate, window, seed);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        long before = calls(client, mock);
        int failed = pass(client, gateway, model, trace, "off-" + seed, true);
        long middle = calls(client, mock);
        failed += pass(client, gateway, model, trace, "on-" + seed, false);
        long after = calls(client, mock);
        return new Row(requests, trace.duplicates(), middle - before, after - middle, failed);
    }

    /** Sends every request of the trace at its time; the number that did not get a 200. */
    private static int pass(HttpClient client, URI gateway, String model, Trace trace, String nonce, boolean off)
            throws InterruptedException {
        var futures = new ArrayList<Future<Integer>>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            long start = System.nanoTime();
            for (int i = 0; i < trace.prompts().length; i++) {
                long wait = start + trace.offsetsNanos()[i] - System.nanoTime();
                if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
                String body = "{\"model\":" + Json.string(com.fasterxml.jackson.databind.node.TextNode.valueOf(model)) + ",\"temperature\":0,\"max_tokens\":32,\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"Summarise trace prompt " + trace.prompts()[i] + " (" + nonce + ")\"}]}";
                var b = HttpRequest.newBuilder(gateway.resolve("/v1/chat/completions")).timeout(TIMEOUT)
                        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
                if (off) b.header("x-arbiter-single-flight", "off");
                HttpRequest req = b.build();
                futures.add(pool.submit(() -> client.send(req, HttpResponse.BodyHandlers.discarding()).statusCode()));
            }
            int failed = 0;
            for (Future<Integer> f : futures) {
                try {
                    if (f.get() != 200) failed++;
                } catch (java.util.concurrent.ExecutionException e) {
                    failed++;
                }
            }
            return failed;
        }
    }

    /** Every request the mock upstream has served, from its {@code GET /mock/stats}. */
    private static long calls(HttpClient client, URI mock) throws IOException, InterruptedException {
        var res = client.send(HttpRequest.newBuilder(mock.resolve("/mock/stats")).timeout(TIMEOUT).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        long sum = 0;
        for (JsonNode n : Json.parse(res.body()).path("requests")) sum += n.asLong();
        return sum;
    }
}
