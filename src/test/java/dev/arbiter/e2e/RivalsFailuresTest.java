package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.mock.MockConfig;
import dev.arbiter.wire.Json;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Other gateways' known streaming failures, each as the upstream behaviour that caused it, in front of a model whose
 * only deployment is a hand-written upstream and whose fallback is {@code chat-openai} (the mock). A failure before
 * anything reached the client must be tried again elsewhere; one after must end the stream with the format's error
 * event, never a silent 200. (The mid-answer cut in both formats is {@link FaultsTest}'s
 * {@code upstreamDropMidStream_clientGetsErrorEventNeverSilentEnd}; a down deployment once its breaker opened,
 * LiteLLM #40405, is {@link BreakersE2eTest}'s.)
 */
class RivalsFailuresTest {
    private static final String HEAD = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
    private static final String ROLE = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
            + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n";
    private static final String CONTENT = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
            + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"partial answ\"},\"finish_reason\":null}]}\n\n";
    private static final String ERROR = "data: {\"error\":{\"message\":\"upstream overloaded\",\"type\":\"server_error\",\"code\":503}}\n\n";

    private static String model(RawUpstream upstream) {
        return """
                  - name: edge
                    fallbacks: [chat-openai]
                    deployments: [{name: raw, provider: openai, base-url: "http://127.0.0.1:%d/v1", timeout: 10s}]
                """.formatted(upstream.port());
    }

    /**
     * Portkey #1797 (closed before the first event), LiteLLM #29808 (an error event first) and Bifrost #5395 (the error
     * after the upstream's first chunk, a role-only one, before any text reached the client): each falls back.
     */
    @ParameterizedTest
    @ValueSource(strings = {"closed-before-first-event", "error-event-first", "error-after-first-chunk"})
    void streamFailingBeforeAnythingReachedTheClient_fallsBack(String kind) throws Exception {
        try (var upstream = new RawUpstream(); var f = new Fixture(MockConfig.DEFAULT, "", model(upstream))) {
            upstream.serveOnce(out -> {
                String body = switch (kind) {
                    case "closed-before-first-event" -> HEAD;
                    case "error-event-first" -> HEAD + ERROR;
                    default -> HEAD + ROLE + ERROR;
                };
                out.write(body.getBytes(StandardCharsets.UTF_8));
                out.flush();
            });
            var r = f.post("/v1/chat/completions", FaultsTest.CHAT.formatted("edge", ",\"stream\":true"));
            assertThat(r.statusCode()).as(r.headers().map() + r.body()).isEqualTo(200);
            assertThat(r.headers().firstValue("x-arbiter-fallback")).as(r.body()).hasValue("chat-openai");
            assertThat(r.headers().firstValue("x-arbiter-attempts")).hasValue("2");
            var data = EndpointsTest.sseData(r.body());
            assertThat(data.getLast()).isEqualTo("[DONE]");
            assertThat(r.body()).doesNotContain("\"error\"").doesNotContain("upstream overloaded");
        }
    }

    /** Portkey #1797, the other half: cut mid-answer, the client gets the format's error event, not a silent 200. */
    @ParameterizedTest
    @ValueSource(strings = {"chat", "messages"})
    void streamCutAfterTextReachedTheClient_endsWithTheFormatsErrorEvent(String format) throws Exception {
        try (var upstream = new RawUpstream(); var f = new Fixture(MockConfig.DEFAULT, "", model(upstream))) {
            upstream.serveOnce(out -> {
                out.write((HEAD + ROLE + CONTENT).getBytes(StandardCharsets.UTF_8));
                out.flush();
            });
            if (format.equals("chat")) {
                var r = f.post("/v1/chat/completions", FaultsTest.CHAT.formatted("edge", ",\"stream\":true"));
                var data = EndpointsTest.sseData(r.body());
                assertThat(r.body()).contains("partial answ");
                assertThat(data).doesNotContain("[DONE]");
                assertThat(Json.parse(data.getLast()).has("error")).isTrue();
                assertThat(r.headers().firstValue("x-arbiter-fallback")).isEmpty();
            } else {
                var r = f.post("/v1/messages", "{\"model\":\"edge\",\"max_tokens\":50,\"stream\":true,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", java.util.Map.of("anthropic-version", "2023-06-01"));
                var events = EndpointsTest.sseEvents(r.body());
                assertThat(r.body()).contains("partial answ");
                assertThat(events).doesNotContain("message_stop");
                assertThat(events.getLast()).isEqualTo("error");
            }
        }
    }
}
