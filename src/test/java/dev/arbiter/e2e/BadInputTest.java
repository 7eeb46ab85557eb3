package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.wire.Json;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Hostile and malformed input: always a precise 4xx in the endpoint's own error format; never a 500 or a hang. */
class BadInputTest {
    static Fixture f;

    @BeforeAll
    static void start() {
        f = new Fixture();
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    static JsonNode openAiError(HttpResponse<String> r, int status) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode b = Json.parse(r.body());
        assertThat(b.get("error").get("message").asText()).isNotBlank();
        assertThat(b.get("error").has("type")).isTrue();
        assertThat(b.get("error").has("param")).isTrue();
        assertThat(b.get("error").has("code")).isTrue();
        assertThat(r.body()).doesNotContain("Exception").doesNotContain("at dev.arbiter");
        return b.get("error");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "/v1/chat/completions|{\"model\": \"mock-chat\", \"messages\": [|could not parse the JSON body",
            "/v1/chat/completions|[1,2,3]|must be a JSON object",
            "/v1/chat/completions|{\"model\":\"mock-chat\",\"messages\":\"hi\"}|Invalid type for 'messages'",
            "/v1/chat/completions|{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|Missing required parameter: 'model'",
            "/v1/chat/completions|{\"model\":\"mock-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]} trailing|could not parse",
            "/v1/completions|{\"model\":\"mock-chat\"}|Missing required parameter: 'prompt'",
            "/v1/embeddings|{\"model\":\"mock-embedding\",\"input\":{}}|Invalid type for 'input'",
            "/v1/embeddings|{\"model\":\"mock-embedding\",\"input\":\"x\",\"encoding_format\":\"hex\"}|encoding_format",
    })
    void malformedOrWrongTypes_400WithPreciseMessage(String path, String body, String expected) {
        JsonNode err = openAiError(f.post(path, body), 400);
        assertThat(err.get("message").asText()).contains(expected);
        assertThat(err.get("type").asText()).isEqualTo("invalid_request_error");
    }

    @Test
    void unknownModel_404ModelNotFound() {
        JsonNode err = openAiError(f.post("/v1/chat/completions",
                "{\"model\":\"no-such-model\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), 404);
        assertThat(err.get("code").asText()).isEqualTo("model_not_found");
        assertThat(err.get("param").asText()).isEqualTo("model");
    }

    @Test
    void oversizeBody_413BeforeReadingIt() {
        String big = "{\"model\":\"mock-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(300_000) + "\"}]}";
        JsonNode err = openAiError(f.post("/v1/chat/completions", big), 413);
        assertThat(err.get("message").asText()).contains("larger than the limit of 262144 bytes");
    }

    @Test
    void invalidUtf8_400() {
        byte[] head = "{\"model\":\"mock-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"".getBytes(StandardCharsets.UTF_8);
        byte[] tail = "\"}]}".getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[head.length + 3 + tail.length];
        System.arraycopy(head, 0, body, 0, head.length);
        body[head.length] = (byte) 0xff;
        body[head.length + 1] = (byte) 0xfe;
        body[head.length + 2] = (byte) 0xc3;
        System.arraycopy(tail, 0, body, head.length + 3, tail.length);
        JsonNode err = openAiError(f.postBytes("/v1/chat/completions", body, "application/json"), 400);
        assertThat(err.get("message").asText()).contains("UTF-8");
    }

    @Test
    void unsupportedMediaType_415() {
        JsonNode err = openAiError(f.postBytes("/v1/chat/completions", "model=x".getBytes(), "application/x-www-form-urlencoded"), 415);
        assertThat(err.get("message").asText()).contains("application/json");
    }

    @Test
    void deepNesting_400NamingTheLimit() {
        String deep = "[".repeat(100) + "]".repeat(100);
        JsonNode err = openAiError(f.post("/v1/chat/completions",
                "{\"model\":\"mock-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"x\":" + deep + "}"), 400);
        assertThat(err.get("message").asText()).contains("nesting depth");
    }

    @Test
    void emptyBody_400() {
        openAiError(f.post("/v1/chat/completions", ""), 400);
    }

    @Test
    void unknownPath_404_wrongMethod_405() {
        JsonNode err = openAiError(f.post("/v1/nope", "{}"), 404);
        assertThat(err.get("code").asText()).isEqualTo("unknown_url");
        openAiError(f.get("/v1/chat/completions"), 405);
    }

    @Test
    void badTimeoutHeader_400() {
        JsonNode err = openAiError(f.post("/v1/chat/completions",
                "{\"model\":\"mock-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", Map.of("x-arbiter-timeout", "soon")), 400);
        assertThat(err.get("message").asText()).contains("x-arbiter-timeout");
    }

    @Test
    void messagesEndpoint_errorsInAnthropicFormat() {
        var r = f.post("/v1/messages", "{\"model\":\"chat-anthropic\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertThat(r.statusCode()).isEqualTo(400);
        JsonNode b = Json.parse(r.body());
        assertThat(b.get("type").asText()).isEqualTo("error");
        assertThat(b.at("/error/type").asText()).isEqualTo("invalid_request_error");
        assertThat(b.at("/error/message").asText()).contains("max_tokens");
        var notFound = f.post("/v1/messages", "{\"model\":\"nope\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertThat(notFound.statusCode()).isEqualTo(404);
        assertThat(Json.parse(notFound.body()).at("/error/type").asText()).isEqualTo("not_found_error");
        var malformed = f.post("/v1/messages", "{nope");
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(Json.parse(malformed.body()).get("type").asText()).isEqualTo("error");
    }

    @Test
    void slowLorisBody_boundedByServer_noHang() throws Exception {
        // A client that declares a body and sends only part of it: the gateway must not hold anything for it.
        try (var s = new java.net.Socket("127.0.0.1", f.gateway.port())) {
            s.setSoTimeout(3000);
            s.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
                    + "content-length: 100\r\n\r\n{\"model\":").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
        }
        var r = f.post("/v1/chat/completions", "{\"model\":\"mock-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertThat(r.statusCode()).isEqualTo(200);
    }

    @Test
    void nullBytesAndHugeNumbers_neverA500() {
        for (String body : new String[] {
                "{\"model\":\"mock-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"\\u0000\"}]}",
                "{\"model\":\"mock-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":1e400}",
                "{\"model\":\"mock-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":99999999999999999999}",
                "{\"model\":\"mock-chat\",\"messages\":[null]}",
                "{\"model\":\"mock-chat\",\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"x\"}]}]}",
                "{\"model\":\"mock-chat\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]}",
                "{\"model\":\"\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"}) {
            var r = f.post("/v1/chat/completions", body);
            assertThat(r.statusCode()).as(body + " -> " + r.body()).isBetween(200, 499);
        }
    }

    @Test
    void request_neverHangs_pastItsTimeoutHeader() {
        var r = f.send(HttpRequest.newBuilder(f.uri("/v1/chat/completions")).timeout(Duration.ofSeconds(20))
                .header("content-type", "application/json").header("x-arbiter-timeout", "200ms")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"mock-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"))
                .build());
        assertThat(r.statusCode()).isEqualTo(200);
    }

    @Test
    void responses_unknownItemType_crossingFormats_precise400() {
        JsonNode err = openAiError(f.post("/v1/responses", """
                {"model":"chat-openai","input":[{"type":"hologram_call","id":"h1"},{"role":"user","content":"hi"}]}"""), 400);
        assertThat(err.get("message").asText()).contains("hologram_call");
    }

    @Test
    void responses_toolResultWithoutItsCall_precise400() {
        JsonNode err = openAiError(f.post("/v1/responses", """
                {"model":"chat-anthropic","input":[{"role":"user","content":"hi"},
                 {"type":"function_call_output","call_id":"call_nowhere","output":"x"}]}"""), 400);
        assertThat(err.get("message").asText()).contains("call_nowhere");
    }

    @Test
    void responses_unknownPreviousResponseId_404InOpenAiFormat() {
        JsonNode err = openAiError(f.post("/v1/responses",
                "{\"model\":\"chat-openai\",\"input\":\"hi\",\"previous_response_id\":\"resp_arb_nope\"}"), 404);
        assertThat(err.get("param").asText()).isEqualTo("previous_response_id");
        openAiError(f.get("/v1/responses/resp_arb_nope"), 404);
    }

    @Test
    void messages_unknownBlockType_crossingFormats_precise400() {
        var r = f.post("/v1/messages", """
                {"model":"chat-openai","max_tokens":10,"messages":[{"role":"user","content":[{"type":"hologram","x":1}]}]}""");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(Json.parse(r.body()).at("/error/message").asText()).contains("hologram");
    }

    @Test
    void responses_upstreamStreamCutBeforeCompleted_errorEventNeverSilentEnd() {
        var faults = new dev.arbiter.mock.MockConfig.Faults(0, java.util.List.of(500), 0, java.time.Duration.ofSeconds(1), 0, 0, 0, 1, 2);
        try (var g = new Fixture(dev.arbiter.mock.MockConfig.DEFAULT.withFaults(faults), "", "")) {
            for (String model : new String[] {"chat-openai", "resp-openai", "chat-anthropic"}) {
                var r = g.post("/v1/responses", "{\"model\":\"" + model + "\",\"input\":\"hi\",\"stream\":true}");
                assertThat(r.statusCode()).isEqualTo(200);
                var events = EndpointsTest.sseEvents(r.body());
                assertThat(events).as(model).doesNotContain("response.completed").contains("error");
            }
        }
    }

    /** Found by fuzzing: a hosted tool's type is the caller's text, and it is named in a response header. */
    @Test
    void hostileToolType_namedInTheDroppedToolsHeader_safely() {
        for (String stream : new String[] {"false", "true"}) {
            String body = "{\"model\":\"chat-openai\",\"input\":\"hi\",\"stream\":" + stream + ",\"tools\":["
                    + "{\"type\":\"\\u0000evil\\r\\nset-cookie: x=1\"},{\"type\":\"caf\u00e9 100%\"},{\"type\":\"web_search\"}]}";
            var r = f.post("/v1/responses", body);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.headers().firstValue("set-cookie")).isEmpty();
            assertThat(r.headers().firstValue("x-arbiter-dropped-tools"))
                    .hasValue("%00evil%0D%0Aset-cookie:%20x=1,caf%C3%A9%20100%25,web_search");
        }
    }

    /** What Helidon refuses before routing is answered in the API's error format, never as a bare 500 (fuzzing). */
    @Test
    void malformedHttp_answeredInTheApisErrorFormat() throws Exception {
        // a control character in the method made Helidon answer 500 with an empty body
        String r = rawExchange("P\u0000ST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
        assertThat(r).startsWith("HTTP/1.1 400").contains("x-request-id: ");
        assertThat(Json.parse(body(r)).at("/error/code").asText()).isEqualTo("malformed_request");

        r = rawExchange("GET /v1/models HTTP/1.1\r\nHost: x\r\nBad Name: x\r\n\r\n");
        assertThat(r).startsWith("HTTP/1.1 400");
        assertThat(Json.parse(body(r)).at("/error/type").asText()).isEqualTo("invalid_request_error");

        r = rawExchange("GET /v1/models/" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(r).startsWith("HTTP/1.1 414");
        assertThat(Json.parse(body(r)).at("/error/code").asText()).isEqualTo("uri_too_long");

        // on /v1/messages, Anthropic's format
        r = rawExchange("POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n");
        assertThat(r).startsWith("HTTP/1.1 400");
        JsonNode e = Json.parse(body(r));
        assertThat(e.path("type").asText()).isEqualTo("error");
        assertThat(e.at("/error/type").asText()).isEqualTo("invalid_request_error");

        // and the server goes on serving
        assertThat(f.get("/healthz").statusCode()).isEqualTo(200);
    }

    private static String rawExchange(String request) throws java.io.IOException {
        try (var s = new java.net.Socket("127.0.0.1", f.gateway.port())) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.shutdownOutput();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static String body(String response) {
        return response.substring(response.indexOf("\r\n\r\n") + 4);
    }
}
