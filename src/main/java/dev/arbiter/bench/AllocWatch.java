package dev.arbiter.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Heap bytes each gateway of a run allocated, read from the gateway's own {@code /metrics}
 * ({@code arbiter_jvm_allocated_bytes_total}, the JVM's exact count over all its threads) before and after the
 * measurement, and charged to the requests sent to it.
 *
 * <p>Read at the edges of the whole measurement, not of each phase: a scrape between phases would delay the next
 * phase's first requests, whose latency counts from their intended send time. So a gateway's figure covers every
 * scenario sent to it, what it allocated while other scenarios ran (background threads) and the closing scrape.
 * A gateway that does not expose the counter (an older build) reads as absent.
 */
final class AllocWatch {
    private static final String COUNTER = "arbiter_jvm_allocated_bytes_total";

    /** One gateway's allocation over the measurement: the scenarios sent to it, their requests, the bytes. */
    record Gateway(URI base, List<String> scenarios, long requests, long bytes, double seconds) {
        double bytesPerRequest() {
            return requests == 0 ? Double.NaN : (double) bytes / requests;
        }

        double megabytesPerSecond() {
            return seconds <= 0 ? Double.NaN : bytes / 1e6 / seconds;
        }
    }

    private final Map<URI, List<Scenario>> gateways = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    AllocWatch(List<Scenario> scenarios) {
        for (Scenario s : scenarios) {
            if (s.via() == Scenario.Via.GATEWAY) gateways.computeIfAbsent(s.base(), b -> new ArrayList<>()).add(s);
        }
    }

    /** Each gateway's counter now, -1 where it cannot be read. */
    Map<URI, Long> read() {
        var out = new LinkedHashMap<URI, Long>();
        for (URI base : gateways.keySet()) out.put(base, read(base));
        return out;
    }

    private long read(URI base) {
        try {
            var res = http.send(HttpRequest.newBuilder(base.resolve("/metrics")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofLines());
            if (res.statusCode() != 200) return -1;
            return res.body().filter(l -> l.startsWith(COUNTER + " ") || l.startsWith(COUNTER + "{")).findFirst()
                    .map(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).orElse(-1L);
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The gateways whose counter was read at both edges, with the requests of their scenarios. */
    List<Gateway> between(Map<URI, Long> before, Map<URI, Long> after, List<ScenarioStats> stats, Duration elapsed) {
        var out = new ArrayList<Gateway>();
        gateways.forEach((base, scenarios) -> {
            long b = before.getOrDefault(base, -1L);
            long a = after.getOrDefault(base, -1L);
            if (b < 0 || a < b) return;
            long requests = 0;
            for (ScenarioStats s : stats) if (scenarios.contains(s.scenario)) requests += s.sent();
            out.add(new Gateway(base, scenarios.stream().map(Scenario::name).toList(), requests, a - b, elapsed.toNanos() / 1e9));
        });
        return out;
    }
}
