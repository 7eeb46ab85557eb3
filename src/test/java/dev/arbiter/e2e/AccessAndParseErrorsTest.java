package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.arbiter.wire.Json;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/** Every answered request leaves one access line; a malformed JSON body is told with one line and column. */
class AccessAndParseErrorsTest {
    static Fixture f;
    static final ListAppender<ILoggingEvent> lines = new ListAppender<>();

    @BeforeAll
    static void start() {
        f = new Fixture();
        lines.start();
        ((Logger) LoggerFactory.getLogger("arbiter.access")).addAppender(lines);
    }

    @AfterAll
    static void stop() {
        ((Logger) LoggerFactory.getLogger("arbiter.access")).detachAppender(lines);
        f.close();
    }

    /** The access lines of {@code requestId}, once there is one (it is written just after the answer; at most 2 s). */
    static List<String> linesFor(String requestId) throws InterruptedException {
        long until = System.nanoTime() + 2_000_000_000L;
        while (lines(requestId).isEmpty() && System.nanoTime() < until) Thread.sleep(5);
        Thread.sleep(20);   // and no second one
        return lines(requestId);
    }

    static List<String> lines(String requestId) {
        List<ILoggingEvent> all;
        synchronized (lines) {   // Logback appends holding the appender's lock
            all = List.copyOf(lines.list);
        }
        return all.stream().map(ILoggingEvent::getFormattedMessage).filter(l -> l.startsWith("id=" + requestId + " ")).toList();
    }

    @Test
    void everyAnsweredRequest_leavesOneAccessLine() throws Exception {
        var cases = List.of(
                new String[] {"GET", "/v1/nope", "status=404", "error=unknown_url"},
                new String[] {"GET", "/v1/chat/completions", "status=405", "error="},
                new String[] {"GET", "/v1/models", "status=200", "path=/v1/models"},
                new String[] {"GET", "/v1/models/mock-chat", "status=200", "method=GET"},
                new String[] {"GET", "/healthz", "status=200", "path=/healthz"},
                new String[] {"GET", "/readyz", "status=200", "path=/readyz"},
                // stored responses and token counts go through the pipeline: their line is the observe stage's
                new String[] {"GET", "/v1/responses/resp_nope", "status=404", "op=stored_response"},
                new String[] {"GET", "/v1/responses/resp_nope/input_items", "status=404", "error=not_found"},
                new String[] {"DELETE", "/v1/responses/resp_nope", "status=404", "op=stored_response"},
                new String[] {"POST", "/v1/messages/count_tokens", "status=200", "op=count_tokens"});
        for (String[] c : cases) {
            var b = java.net.http.HttpRequest.newBuilder(f.uri(c[1])).header("content-type", "application/json");
            var body = "{\"model\":\"mock-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
            b.method(c[0], c[0].equals("POST") ? java.net.http.HttpRequest.BodyPublishers.ofString(body)
                    : java.net.http.HttpRequest.BodyPublishers.noBody());
            var r = f.send(b.build());
            String rid = r.headers().firstValue("x-request-id").orElseThrow();
            assertThat(linesFor(rid)).as(c[0] + " " + c[1]).singleElement().asString().contains(c[2]).contains(c[3]);
        }
    }

    @Test
    void hostilePath_escapedInTheAccessLine() throws Exception {
        var r = f.get("/v1/x%0d%0aid=forged%00");
        String rid = r.headers().firstValue("x-request-id").orElseThrow();
        assertThat(linesFor(rid)).singleElement().asString().doesNotContain("\n").doesNotContain("\r").contains("\\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/messages", "/v1/chat/completions", "/v1/responses"})
    void malformedJson_oneClearLineAndColumn(String path) {
        for (String body : new String[] {"{\n  \"model\": nope,\n  \"max_tokens\": 5}", "{\n  \"model\": \"x\",}",
                "{\n  \"model\": \"x\"} {}", "{\n  \"model\": \"x", "{\n  \"model\": \"x\u0001\"}", "{\n \"a\": [1,]}"}) {
            var r = f.post(path, body, Map.of("anthropic-version", "2023-06-01"));
            assertThat(r.statusCode()).as(body).isEqualTo(400);
            String msg = Json.parse(r.body()).at("/error/message").asText();
            assertThat(msg).as(body).doesNotContain("Source").doesNotContain("REDACTED").doesNotContain("\n").contains("(line 2, column ");
            assertThat(msg.split("line ", -1)).as(msg).hasSize(2);
        }
    }
}
