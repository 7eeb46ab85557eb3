package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.mock.MockConfig;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The gateway writes stream frames that arrive together in one go, but never holds one back: here the upstream
 * sends a whole first event and half of the second, then pauses. The client must get the first event during the
 * pause, not after it.
 */
class StreamFlushTest {
    private static final String FIRST = "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
            + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hello\"},\"finish_reason\":null}]}";
    private static final String SECOND = "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
            + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" world\"},\"finish_reason\":\"stop\"}]}";

    /** The paused stream: a whole first event and half of the second, a pause, then the rest. */
    private static RawUpstream.Answer paused(Duration pause) {
        return out -> {
            String part1 = "data: " + FIRST + "\n\ndata: " + SECOND.substring(0, 40);
            String part2 = SECOND.substring(40) + "\n\ndata: [DONE]\n\n";
            out.write(("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
                    + chunk(part1)).getBytes(StandardCharsets.UTF_8));
            out.flush();
            Thread.sleep(pause);
            out.write((chunk(part2) + "0\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            Thread.sleep(200);
        };
    }

    private static String chunk(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return Integer.toHexString(b.length) + "\r\n" + s + "\r\n";
    }

    @Test
    void firstEvent_reachesTheClient_whileTheUpstreamPausesMidEvent() throws Exception {
        try (var upstream = new RawUpstream(); var f = new Fixture(MockConfig.DEFAULT, "", upstream.model("paused"))) {
            upstream.serveOnce(paused(Duration.ofMillis(1500)));
            var req = HttpRequest.newBuilder(f.uri("/v1/chat/completions")).timeout(Duration.ofSeconds(20))
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"model\":\"paused\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                    .build();
            long start = System.nanoTime();
            HttpResponse<InputStream> r = f.client.send(req, HttpResponse.BodyHandlers.ofInputStream());
            assertThat(r.statusCode()).isEqualTo(200);
            List<Long> dataAt = new ArrayList<>();
            List<String> data = new ArrayList<>();
            try (var lines = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = lines.readLine()) != null; ) {
                    if (line.startsWith("data: ")) {
                        dataAt.add((System.nanoTime() - start) / 1_000_000);
                        data.add(line.substring(6));
                    }
                }
            }
            assertThat(data).hasSizeGreaterThanOrEqualTo(3);
            assertThat(data.getFirst()).contains("Hello");
            assertThat(data.getLast()).isEqualTo("[DONE]");
            // the first event left during the 1.5 s pause, well before the events that followed it
            assertThat(dataAt.getLast() - dataAt.getFirst()).as("ms between first and last event").isGreaterThan(1000);
        }
    }
}
