package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.wire.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTP/1 framing on raw sockets: chunked bodies with extensions and trailers are read, a body that cannot be framed is
 * a 400 that closes the connection, and nothing sent after a request that closes the connection is ever answered
 * (request smuggling through Helidon's chunk reader, found by an outside review).
 */
class HttpFramingTest {
    static Fixture f;
    static final String CHAT = "{\"model\":\"mock-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @BeforeAll
    static void start() {
        f = new Fixture();
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    /** Sends {@code request}, optionally half-closes, and reads until the server closes (at most 5 s). */
    static String exchange(String request, boolean halfClose) throws IOException {
        try (var s = new Socket("127.0.0.1", f.gateway.port())) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            if (halfClose) s.shutdownOutput();
            return readUntilClosed(s.getInputStream());
        }
    }

    static String readUntilClosed(InputStream in) throws IOException {
        var out = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            for (int n; (n = in.read(buf)) >= 0; ) out.write(buf, 0, n);
        } catch (SocketTimeoutException e) {
            out.writeBytes("<still open>".getBytes(StandardCharsets.US_ASCII));
        }
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    static int responses(String raw) {
        return (int) Pattern.compile("HTTP/1\\.[01] \\d{3} ").matcher(raw).results().count();
    }

    static JsonNode firstBody(String raw) {
        int start = raw.indexOf("\r\n\r\n") + 4;
        var length = java.util.regex.Pattern.compile("(?i)content-length: (\\d+)").matcher(raw.substring(0, start));
        String body = length.find() ? raw.substring(start, start + Integer.parseInt(length.group(1))) : raw.substring(start);
        return Json.parse(body.replace("<still open>", ""));
    }

    static String chatHead(String extraHeaders) {
        return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + extraHeaders + "\r\n";
    }

    @Test
    void chunkExtensionMidBody_smuggledRequestNeverAnswered() throws Exception {
        String raw = exchange(chatHead("Transfer-Encoding: chunked\r\nConnection: close\r\n")
                + "2b;ext=1\r\nfiller\r\nGET /v1/models HTTP/1.1\r\nHost: smuggled\r\n\r\n", false);
        assertThat(responses(raw)).as(raw).isEqualTo(1);
        assertThat(raw).startsWith("HTTP/1.1 400").doesNotContain("mock-chat\",\"object\":\"model").doesNotContain("<still open>");
        assertThat(firstBody(raw).at("/error/code").asText()).isEqualTo("malformed_body");
    }

    @Test
    void chunkedSmuggling_keepAliveRequest_alsoClosedAfterThe400() throws Exception {
        String raw = exchange(chatHead("Transfer-Encoding: chunked\r\n")
                + "zz\r\n{}\r\n0\r\n\r\nGET /v1/models HTTP/1.1\r\nHost: smuggled\r\n\r\n", false);
        assertThat(responses(raw)).as(raw).isEqualTo(1);
        assertThat(raw).startsWith("HTTP/1.1 400").contains("Connection: close").doesNotContain("<still open>");
        assertThat(firstBody(raw).at("/error/message").asText()).contains("chunk");
    }

    @Test
    void validChunkExtension_served() throws Exception {
        String raw = exchange(chatHead("Transfer-Encoding: chunked\r\nConnection: close\r\n")
                + Integer.toHexString(CHAT.length()) + ";a=b\r\n" + CHAT + "\r\n0;last=yes\r\n\r\n", false);
        assertThat(raw).as(raw).startsWith("HTTP/1.1 200");
        assertThat(responses(raw)).isEqualTo(1);
    }

    @Test
    void trailers_readAndDropped_served() throws Exception {
        String half = CHAT.substring(0, 10);
        String raw = exchange(chatHead("Transfer-Encoding: chunked\r\nConnection: close\r\n")
                + Integer.toHexString(half.length()) + "\r\n" + half + "\r\n"
                + Integer.toHexString(CHAT.length() - 10) + "\r\n" + CHAT.substring(10) + "\r\n"
                + "0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n", false);
        assertThat(raw).as(raw).startsWith("HTTP/1.1 200");
    }

    @Test
    void bodyShorterThanContentLength_thenHalfClose_400() throws Exception {
        String raw = exchange(chatHead("Content-Length: 100\r\n") + "{\"model\":", true);
        assertThat(raw).as(raw).startsWith("HTTP/1.1 400");
        assertThat(firstBody(raw).at("/error/message").asText()).contains("short of its Content-Length");
    }

    @Test
    void chunkedBodyCutShort_thenHalfClose_400() throws Exception {
        String raw = exchange(chatHead("Transfer-Encoding: chunked\r\n") + "40\r\n{\"model\":", true);
        assertThat(raw).as(raw).startsWith("HTTP/1.1 400");
    }

    @Test
    void pipelinedAfterConnectionClose_notAnswered() throws Exception {
        String get = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
        String raw = exchange(get + "Connection: close\r\n\r\n" + get + "\r\n" + get + "\r\n", false);
        assertThat(responses(raw)).as(raw).isEqualTo(1);
        assertThat(raw).contains("Connection: close").doesNotContain("<still open>");
    }

    @Test
    void pipelinedKeepAlive_allAnsweredInOrder() throws Exception {
        String body = Integer.toHexString(CHAT.length()) + "\r\n" + CHAT + "\r\n0\r\n\r\n";
        String raw = exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                + chatHead("Transfer-Encoding: chunked\r\n") + body
                + chatHead("Content-Length: " + CHAT.length() + "\r\n") + CHAT
                + "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false);
        assertThat(responses(raw)).as(raw).isEqualTo(4);
        assertThat(raw).doesNotContain("HTTP/1.1 4").doesNotContain("HTTP/1.1 5").doesNotContain("<still open>");
    }

    @Test
    void conflictingFraming_refusedAndClosed() throws Exception {
        String raw = exchange(chatHead("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n") + "0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", false);
        assertThat(raw).as(raw).startsWith("HTTP/1.1 400");
        assertThat(responses(raw)).isEqualTo(1);
        raw = exchange(chatHead("Content-Length: 5\r\nContent-Length: 6\r\n") + "{}{}{}GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", false);
        assertThat(raw).as(raw).startsWith("HTTP/1.1 400");
        assertThat(responses(raw)).isEqualTo(1);
    }

    @Test
    void http10_servedWithLength_andClosed() throws Exception {
        String raw = exchange("GET /healthz HTTP/1.0\r\n\r\n", false);
        assertThat(raw).as(raw).startsWith("HTTP/1.1 200").contains("Content-Length: ").contains("Connection: close")
                .doesNotContain("<still open>");
        String stream = "{\"model\":\"mock-chat\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        raw = exchange("POST /v1/chat/completions HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: "
                + stream.length() + "\r\n\r\n" + stream, false);
        assertThat(raw).as(raw).startsWith("HTTP/1.1 200").contains("Content-Length: ").doesNotContainIgnoringCase("transfer-encoding")
                .contains("data: [DONE]").doesNotContain("<still open>");
    }

    @Test
    void http10_keepAliveAskedFor_connectionKept() throws Exception {
        String get = "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
        String raw = exchange(get + get + "GET /healthz HTTP/1.0\r\n\r\n", false);
        assertThat(responses(raw)).as(raw).isEqualTo(3);
        assertThat(raw).contains("Connection: keep-alive").doesNotContain("<still open>");
    }

    @Test
    void unknownVersion_505_malformedRequestLine_400WithAReason() throws Exception {
        String raw = exchange("GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", false);
        assertThat(raw).as(raw).startsWith("HTTP/1.1 505");
        assertThat(firstBody(raw).at("/error/code").asText()).isEqualTo("http_version_not_supported");
        assertThat(firstBody(raw).at("/error/message").asText()).contains("HTTP/2.0");
        raw = exchange("GET /healthz FOO/1.1\r\nHost: x\r\n\r\n", false);
        assertThat(raw).as(raw).startsWith("HTTP/1.1 400");
        assertThat(firstBody(raw).at("/error/code").asText()).isEqualTo("malformed_request");
        assertThat(firstBody(raw).at("/error/message").asText()).contains("FOO/1.1").doesNotContain("server log");
        raw = exchange("GARBAGE\r\n\r\n", false);
        assertThat(raw).as(raw).startsWith("HTTP/1.1 400");
        assertThat(firstBody(raw).at("/error/message").asText()).contains("expected: METHOD /path HTTP/1.1");
    }
}
