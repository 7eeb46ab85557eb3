package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.mock.MockConfig;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An upstream that trickles its status line and headers, a byte every 100 ms, never finishing them: every read
 * returns before the socket timeout, so only the request's deadline can end the wait, and it must.
 */
class UpstreamTrickleTest {

    /** A status line and then one header byte every 100 ms, for 30 s at most. */
    private static void trickle(OutputStream out) throws Exception {
        out.write("HTTP/1.1 200 OK\r\nx-slow: ".getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < 300; i++) {
            out.write('a');
            out.flush();
            Thread.sleep(100);
        }
    }

    @Test
    void headersTrickledPastTheDeadline_requestEndsAtTheDeadline() throws Exception {
        try (var upstream = new RawUpstream(); var f = new Fixture(MockConfig.DEFAULT, "", upstream.model("trickle"))) {
            upstream.serveOnce(UpstreamTrickleTest::trickle);
            long start = System.nanoTime();
            var r = f.post("/v1/chat/completions", "{\"model\":\"trickle\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                    Map.of("x-arbiter-timeout", "1s"));
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertThat(r.statusCode()).as(r.body()).isEqualTo(504);
            assertThat(r.body()).contains("deadline");
            assertThat(ms).as("ms until the gateway answered").isBetween(900L, 5_000L);
        }
    }
}
