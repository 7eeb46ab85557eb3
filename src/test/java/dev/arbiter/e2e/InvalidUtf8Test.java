package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.wire.Json;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Request bodies that are not well-formed UTF-8, sent as raw bytes inside a JSON string: every malformed form is
 * refused with 400 {@code invalid_encoding} in the endpoint's error format, and none reaches an upstream; every
 * well-formed sequence, up to U+10FFFF, goes through intact.
 */
class InvalidUtf8Test {
    static Fixture f;

    @BeforeAll
    static void start() {
        f = new Fixture();
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    private static byte[] chatWith(String hex) {
        var out = new ByteArrayOutputStream();
        out.writeBytes("{\"model\":\"chat-openai\",\"messages\":[{\"role\":\"user\",\"content\":\"a".getBytes(StandardCharsets.UTF_8));
        out.writeBytes(HexFormat.of().parseHex(hex));
        out.writeBytes("z\"}]}".getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    @ParameterizedTest(name = "{1}: {0}")
    @CsvSource(delimiter = '|', value = {
            "c0af     | overlong '/' (2 bytes)",
            "e080af   | overlong '/' (3 bytes)",
            "f08080af | overlong '/' (4 bytes)",
            "c1bf     | overlong U+007F",
            "eda080   | surrogate U+D800",
            "edbfbf   | surrogate U+DFFF",
            "eda0bdedb880 | surrogate pair encoded as two 3-byte sequences (CESU-8)",
            "f4908080 | U+110000, above U+10FFFF",
            "f5808080 | lead byte F5",
            "f7bfbfbf | lead byte F7",
            "f888808080 | 5-byte form",
            "ff       | byte FF",
            "80       | stray continuation byte",
            "c3       | truncated 2-byte sequence",
            "e282     | truncated 3-byte sequence",
            "f09f98   | truncated 4-byte sequence",
            "e228a1   | bad continuation byte"})
    void malformedUtf8_400InvalidEncoding_nothingSentUpstream(String hex, String what) {
        long before = f.upstream.stats().totalRequests();
        HttpResponse<String> r = f.postBytes("/v1/chat/completions", chatWith(hex), "application/json");
        JsonNode err = BadInputTest.openAiError(r, 400);
        assertThat(err.get("code").asText()).isEqualTo("invalid_encoding");
        assertThat(err.get("message").asText()).contains("UTF-8");
        assertThat(f.upstream.stats().totalRequests()).isEqualTo(before);
    }

    @Test
    void malformedUtf8AtTheEndOfTheBody_400() {
        byte[] body = "{\"model\":\"chat-openai\",\"messages\":[]}\n\u00ff".getBytes(StandardCharsets.ISO_8859_1);
        JsonNode err = BadInputTest.openAiError(f.postBytes("/v1/chat/completions", body, "application/json"), 400);
        assertThat(err.get("code").asText()).isEqualTo("invalid_encoding");
    }

    @Test
    void malformedUtf8OnMessages_400InAnthropicFormat() {
        byte[] body = ("{\"model\":\"chat-anthropic\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"a"
                + "\u00c0\u00afz\"}]}").getBytes(StandardCharsets.ISO_8859_1);
        HttpResponse<String> r = f.postBytes("/v1/messages", body, "application/json");
        assertThat(r.statusCode()).isEqualTo(400);
        JsonNode b = Json.parse(r.body());
        assertThat(b.get("type").asText()).isEqualTo("error");
        assertThat(b.at("/error/type").asText()).isEqualTo("invalid_request_error");
        assertThat(b.at("/error/message").asText()).contains("UTF-8");
    }

    @Test
    void wellFormedTwoThreeAndFourByteSequences_acceptedAndForwardedIntact() {
        // é (C3 A9), U+07FF, € (E2 82 AC), U+FFFD, U+E000 just past the surrogates, 😀 (F0 9F 98 80), U+10FFFF
        String text = "\u00e9\u07ff\u20ac\ufffd\ue000\ud83d\ude00\udbff\udfff";
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        assertThat(HexFormat.of().formatHex(bytes)).isEqualTo("c3a9dfbfe282acefbfbdee8080f09f9880f48fbfbf");
        HttpResponse<String> r = f.postBytes("/v1/chat/completions", chatWith(HexFormat.of().formatHex(bytes)), "application/json");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode sent = Json.parse(f.upstream.stats().lastBody());
        assertThat(sent.at("/messages/0/content").asText()).isEqualTo("a" + text + "z");
    }
}
