package dev.arbiter.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The harness's allocation figures: each gateway's counter, read from its /metrics, charged to the requests sent to it. */
class AllocWatchTest {
    @Test
    void between_chargesEachGatewaysBytesToTheRequestsSentToIt_andSkipsOneWithoutTheCounter() throws Exception {
        var counter = new AtomicLong(1_000_000);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/metrics", ex -> {
            byte[] body = ("# TYPE arbiter_jvm_allocated_bytes_total counter\narbiter_jvm_allocated_bytes_total " + counter.get()
                    + ".0\narbiter_in_flight 0.0\n").getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        try {
            URI gateway = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
            URI silent = URI.create("http://127.0.0.1:1");   // nothing listens: no figure rather than a wrong one
            var scenarios = Scenarios.select(List.of("gateway-chat", "gateway-chat-logged"), new Scenarios.Endpoints(
                    URI.create("http://127.0.0.1:19090"), URI.create("http://127.0.0.1:19091"), gateway, null, null, silent));
            var watch = new AllocWatch(scenarios);
            var before = watch.read();
            counter.addAndGet(5_000_000);
            var after = watch.read();
            var stats = new ArrayList<ScenarioStats>();
            for (Scenario s : scenarios) {
                var st = new ScenarioStats(s, new CpuWatch(Map.of()).names().size());
                for (int i = 0; i < 1000; i++) st.sent(0, 0);
                stats.add(st);
            }
            var gateways = watch.between(before, after, stats, Duration.ofSeconds(10));
            assertThat(gateways).hasSize(1);
            var g = gateways.getFirst();
            assertThat(g.base()).isEqualTo(gateway);
            assertThat(g.scenarios()).containsExactly("gateway-chat");
            assertThat(g.requests()).isEqualTo(1000);
            assertThat(g.bytes()).isEqualTo(5_000_000);
            assertThat(g.bytesPerRequest()).isEqualTo(5_000.0);
            assertThat(g.megabytesPerSecond()).isEqualTo(0.5);
        } finally {
            server.stop(0);
        }
    }
}
