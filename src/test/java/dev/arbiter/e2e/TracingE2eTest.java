package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.arbiter.mock.MockConfig;
import io.opentelemetry.proto.trace.v1.Span.SpanKind;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * OpenTelemetry tracing end to end: a gateway with {@code observe.otlp} pointing at a real OTLP/HTTP receiver on
 * loopback, requests sent over HTTP, upstreams over HTTP (mock-upstream, and a scripted one that records every
 * request's {@code traceparent}). The spans that arrive are decoded from the exporter's protobuf and checked: ids,
 * parents, GenAI attributes, error status, and that the upstream saw the attempt's own span as its parent.
 */
@Timeout(120)
class TracingE2eTest {
    private static final String CALLER_TRACE = "0af7651916cd43dd8448eb211c80319c";
    private static final String CALLER_SPAN = "b7ad6b7169203331";
    private static final String PROMPT = "the secret plans of the blue heron";

    private static OtlpReceiver receiver;
    private static ScriptedUpstream scripted;
    private static Fixture f;

    /** An OpenAI chat completions upstream answering with the statuses it is given (then 200), recording traceparents. */
    static final class ScriptedUpstream implements AutoCloseable {
        final HttpServer server;
        final Queue<Integer> statuses = new ConcurrentLinkedQueue<>();
        final List<String> traceparents = new CopyOnWriteArrayList<>();

        ScriptedUpstream() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/v1/chat/completions", ex -> {
                try (ex) {
                    ex.getRequestBody().readAllBytes();
                    traceparents.add(String.valueOf(ex.getRequestHeaders().getFirst("traceparent")));
                    Integer status = statuses.poll();
                    byte[] body = (status == null || status == 200
                            ? "{\"id\":\"chatcmpl-s1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"scripted-v2\","
                              + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"a quiet answer\"},"
                              + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3,\"total_tokens\":10}}"
                            : "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}").getBytes(StandardCharsets.UTF_8);
                    ex.getResponseHeaders().add("content-type", "application/json");
                    ex.sendResponseHeaders(status == null ? 200 : status, body.length);
                    ex.getResponseBody().write(body);
                }
            });
            server.start();
        }

        int port() {
            return server.getAddress().getPort();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    @BeforeAll
    static void start() throws IOException {
        receiver = new OtlpReceiver();
        scripted = new ScriptedUpstream();
        f = new Fixture(MockConfig.DEFAULT, """
                observe:
                  otlp:
                    endpoint: "%s"
                    headers: {x-collector-token: "collector-token-0123456789"}
                    service-name: arbiter-test
                    export-interval: 50ms
                """.formatted(receiver.endpoint()), """
                  - name: scripted
                    deployments: [{name: scripted-up, provider: openai, model: scripted-v2,
                                   base-url: "http://127.0.0.1:%d/v1", timeout: 10s}]
                  - name: broken
                    deployments: [{name: broken-up, provider: openai, base-url: "http://127.0.0.1:%d/v1", timeout: 10s}]
                """.formatted(scripted.port(), scripted.port()));
    }

    @AfterAll
    static void stop() {
        if (f != null) f.close();
        scripted.close();
        receiver.close();
    }

    private static String chat(String model, boolean stream) {
        return "{\"model\":\"" + model + "\",\"max_tokens\":50,\"temperature\":0.2,\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + PROMPT + "\"}]}";
    }

    private static OtlpReceiver.Received one(List<OtlpReceiver.Received> spans, SpanKind kind, String name) {
        var found = spans.stream().filter(s -> s.kind() == kind && (name == null || s.name().equals(name))).toList();
        assertThat(found).as("%s span %s among %s", kind, name, spans.stream().map(OtlpReceiver.Received::name).toList()).hasSize(1);
        return found.getFirst();
    }

    /**
     * A request's spans once all of them arrived (a batch may end in the middle of one request's spans): its own, the
     * attempt stage's and {@code attempts} attempts'.
     */
    private static List<OtlpReceiver.Received> spansOf(String traceId, int attempts) {
        return receiver.await(traceId, l -> l.stream().anyMatch(s -> s.kind() == SpanKind.SPAN_KIND_SERVER)
                && l.stream().anyMatch(s -> s.kind() == SpanKind.SPAN_KIND_INTERNAL && s.name().equals("attempt"))
                && l.stream().filter(s -> s.kind() == SpanKind.SPAN_KIND_CLIENT).count() >= attempts);
    }

    private static String traceIdOf(String traceparent) {
        return traceparent.split("-")[1];
    }

    @Test
    void chat_callersTraceparent_requestStageAndAttemptSpansNestedAndUpstreamSeesTheAttempt() {
        var r = f.post("/v1/chat/completions", chat("chat-openai", false), Map.of(
                "traceparent", "00-" + CALLER_TRACE + "-" + CALLER_SPAN + "-01", "tracestate", "vendor=abc"));
        assertThat(r.statusCode()).isEqualTo(200);
        var spans = spansOf(CALLER_TRACE, 1);

        var request = one(spans, SpanKind.SPAN_KIND_SERVER, "chat chat-openai");
        assertThat(request.parentSpanId()).isEqualTo(CALLER_SPAN);
        assertThat(request.string("gen_ai.operation.name")).isEqualTo("chat");
        assertThat(request.string("gen_ai.request.model")).isEqualTo("chat-openai");
        assertThat(request.string("gen_ai.response.model")).isEqualTo("chat-openai");
        assertThat(request.string("gen_ai.provider.name")).isEqualTo("openai");
        assertThat(request.string("gen_ai.system")).isEqualTo("openai");
        assertThat(request.number("gen_ai.usage.input_tokens")).isPositive();
        assertThat(request.number("gen_ai.usage.output_tokens")).isPositive();
        assertThat(request.number("gen_ai.request.max_tokens")).isEqualTo(50L);
        assertThat(request.attributes().get("gen_ai.request.temperature")).isEqualTo(0.2);
        assertThat(request.string("arbiter.deployment")).isEqualTo("up-openai");
        assertThat(request.number("arbiter.attempts")).isEqualTo(1L);
        assertThat(request.number("http.response.status_code")).isEqualTo(200L);
        assertThat(request.string("arbiter.request_id")).isEqualTo(r.headers().firstValue("x-request-id").orElseThrow());
        assertThat(request.isError()).isFalse();
        assertThat(request.resource().get("service.name")).isEqualTo("arbiter-test");

        // stage spans: observe is the request's child, each next stage the child of the one before it
        var stages = spans.stream().filter(s -> s.kind() == SpanKind.SPAN_KIND_INTERNAL).toList();
        assertThat(stages).extracting(OtlpReceiver.Received::name).contains("observe", "authenticate", "admit", "route", "attempt");
        var byName = new java.util.HashMap<String, OtlpReceiver.Received>();
        stages.forEach(s -> byName.put(s.name(), s));
        assertThat(byName.get("observe").parentSpanId()).isEqualTo(request.spanId());
        assertThat(byName.get("attempt").parentSpanId()).isEqualTo(byName.get("route").spanId());
        for (var s : stages) {
            assertThat(s.start()).isBetween(request.start(), request.end());
            assertThat(s.end()).isBetween(s.start(), request.end());
        }

        // the attempt: a client span under the attempt stage, whose id the upstream got as its parent
        var attempt = one(spans, SpanKind.SPAN_KIND_CLIENT, null);
        assertThat(attempt.parentSpanId()).isEqualTo(byName.get("attempt").spanId());
        assertThat(attempt.string("gen_ai.request.model")).isEqualTo("chat-openai");
        assertThat(attempt.string("gen_ai.response.model")).isEqualTo("chat-openai");
        assertThat(attempt.number("gen_ai.usage.input_tokens")).isEqualTo(request.number("gen_ai.usage.input_tokens"));
        assertThat(attempt.string("server.address")).isEqualTo("127.0.0.1");
        assertThat(attempt.number("arbiter.attempt")).isEqualTo(1L);
        var upstream = f.upstream.stats().lastHeaders();
        assertThat(upstream.get("traceparent")).isEqualTo("00-" + CALLER_TRACE + "-" + attempt.spanId() + "-01");
        assertThat(upstream.get("tracestate")).isEqualTo("vendor=abc");

        // the exporter sent the configured header; no span holds prompt, completion or key
        assertThat(receiver.exportHeaders).anySatisfy(h -> assertThat(h.get("x-collector-token")).isEqualTo("collector-token-0123456789"));
        assertThat(spans).allSatisfy(s -> assertThat(s.attributes().values().toString())
                .doesNotContain(PROMPT, "heron", Fixture.OPENAI_KEY, "collector-token"));
    }

    @Test
    void retriedRequest_eachAttemptASpan_eachUpstreamCallCarriesItsOwn() {
        scripted.traceparents.clear();
        scripted.statuses.add(500);
        var r = f.post("/v1/chat/completions", chat("scripted", false));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(scripted.traceparents).hasSize(2);
        String traceId = traceIdOf(scripted.traceparents.getFirst());
        assertThat(traceIdOf(scripted.traceparents.get(1))).isEqualTo(traceId);
        var spans = spansOf(traceId, 2);

        var request = one(spans, SpanKind.SPAN_KIND_SERVER, "chat scripted");
        assertThat(request.parentSpanId()).isEmpty();   // no caller's trace: the request started it
        assertThat(request.number("arbiter.attempts")).isEqualTo(2L);
        assertThat(request.string("gen_ai.response.model")).isEqualTo("scripted-v2");
        assertThat(request.number("gen_ai.usage.input_tokens")).isEqualTo(7L);
        assertThat(request.number("gen_ai.usage.output_tokens")).isEqualTo(3L);
        var attempts = spans.stream().filter(s -> s.kind() == SpanKind.SPAN_KIND_CLIENT)
                .sorted(java.util.Comparator.comparing(s -> s.number("arbiter.attempt"))).toList();
        assertThat(attempts).hasSize(2);
        assertThat(attempts).allSatisfy(a -> assertThat(a.string("gen_ai.request.model")).isEqualTo("scripted-v2"));
        assertThat(attempts.get(0).isError()).isTrue();
        assertThat(attempts.get(0).number("http.response.status_code")).isEqualTo(502L);
        assertThat(attempts.get(0).attributes()).doesNotContainKey("gen_ai.usage.input_tokens");
        assertThat(attempts.get(1).isError()).isFalse();
        assertThat(attempts.get(1).number("gen_ai.usage.output_tokens")).isEqualTo(3L);
        assertThat(attempts.get(1).events()).contains("first_byte");
        for (int i = 0; i < 2; i++) {
            assertThat(scripted.traceparents.get(i)).isEqualTo("00-" + traceId + "-" + attempts.get(i).spanId() + "-01");
        }
    }

    @Test
    void failedRequest_requestSpanHasErrorStatus() {
        scripted.statuses.addAll(List.of(500, 500, 500, 500, 500));
        var r = f.post("/v1/chat/completions", chat("broken", false), Map.of("traceparent", "00-" + "1".repeat(32) + "-" + "2".repeat(16) + "-01"));
        scripted.statuses.clear();
        assertThat(r.statusCode()).isEqualTo(502);
        var spans = spansOf("1".repeat(32), 3);
        var request = one(spans, SpanKind.SPAN_KIND_SERVER, "chat broken");
        assertThat(request.isError()).isTrue();
        assertThat(request.statusMessage()).isNotBlank();
        assertThat(request.string("error.type")).isEqualTo(request.statusMessage());
        assertThat(request.number("http.response.status_code")).isEqualTo(502L);
        assertThat(request.string("arbiter.deployment")).isEqualTo("broken-up");
        assertThat(spans.stream().filter(s -> s.kind() == SpanKind.SPAN_KIND_CLIENT)).isNotEmpty().allSatisfy(a -> assertThat(a.isError()).isTrue());
        // the stages the failure passed through say so
        assertThat(spans.stream().filter(s -> s.name().equals("attempt") && s.kind() == SpanKind.SPAN_KIND_INTERNAL))
                .singleElement().satisfies(s -> assertThat(s.isError()).isTrue());
    }

    @Test
    void streamedRequest_spansEndWithTheStream_withModelAndUsage() {
        var r = f.post("/v1/chat/completions", chat("chat-openai", true), Map.of("traceparent", "00-" + "3".repeat(32) + "-" + "4".repeat(16) + "-01"));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("[DONE]");
        var spans = spansOf("3".repeat(32), 1);
        var request = one(spans, SpanKind.SPAN_KIND_SERVER, "chat chat-openai");
        assertThat(request.attributes().get("arbiter.stream")).isEqualTo(true);
        assertThat(request.string("gen_ai.response.model")).isEqualTo("chat-openai");
        assertThat(request.number("gen_ai.usage.output_tokens")).isPositive();
        var attempt = one(spans, SpanKind.SPAN_KIND_CLIENT, null);
        assertThat(attempt.string("gen_ai.response.model")).isEqualTo("chat-openai");
        assertThat(attempt.end()).isLessThanOrEqualTo(request.end());
        // the stage spans end when the stream is handed back, the request's when it has been sent
        assertThat(spans.stream().filter(s -> s.name().equals("observe"))).singleElement()
                .satisfies(s -> assertThat(s.end()).isLessThanOrEqualTo(request.end()));
    }

    @Test
    void refusedBeforeThePipeline_malformedJson_getsAnErrorServerSpanInTheCallersTrace() {
        String trace = "a".repeat(32);
        var r = f.post("/v1/chat/completions", "{\"model\": ", Map.of("traceparent", "00-" + trace + "-" + "b".repeat(16) + "-01"));
        assertThat(r.statusCode()).isEqualTo(400);
        var spans = receiver.await(trace, l -> !l.isEmpty());
        var span = one(spans, SpanKind.SPAN_KIND_SERVER, "POST /v1/chat/completions");
        assertThat(span.isError()).isTrue();
        assertThat(span.parentSpanId()).isEqualTo("b".repeat(16));
        assertThat(span.number("http.response.status_code")).isEqualTo(400L);
        assertThat(span.string("error.type")).isEqualTo("invalid_json");
        assertThat(span.string("arbiter.request_id")).isEqualTo(r.headers().firstValue("x-request-id").orElseThrow());
    }

    @Test
    void embeddings_operationNamed() {
        var r = f.post("/v1/embeddings", "{\"model\":\"embed-openai\",\"input\":\"" + PROMPT + "\"}",
                Map.of("traceparent", "00-" + "5".repeat(32) + "-" + "6".repeat(16) + "-01"));
        assertThat(r.statusCode()).isEqualTo(200);
        var spans = spansOf("5".repeat(32), 1);
        assertThat(one(spans, SpanKind.SPAN_KIND_SERVER, "embeddings embed-openai").string("gen_ai.operation.name")).isEqualTo("embeddings");
        assertThat(one(spans, SpanKind.SPAN_KIND_CLIENT, null).string("gen_ai.operation.name")).isEqualTo("embeddings");
    }

    @Test
    void unsampledCaller_nothingExported_upstreamStillGetsTheTraceUnsampled() throws Exception {
        String trace = "7".repeat(32);
        var r = f.post("/v1/chat/completions", chat("chat-openai", false), Map.of("traceparent", "00-" + trace + "-" + "8".repeat(16) + "-00"));
        assertThat(r.statusCode()).isEqualTo(200);
        String sent = f.upstream.stats().lastHeaders().get("traceparent");
        assertThat(sent).startsWith("00-" + trace + "-").endsWith("-00").doesNotContain("8".repeat(16));
        assertThat(f.gateway.tracing().orElseThrow().flush(Duration.ofSeconds(5))).isTrue();
        assertThat(receiver.spans).noneMatch(s -> s.traceId().equals(trace));
    }

    @Test
    void invalidCallerTraceparent_newTraceStarted() {
        var r = f.post("/v1/chat/completions", chat("chat-openai", false), Map.of("traceparent", "00-" + "0".repeat(32) + "-" + "9".repeat(16) + "-01"));
        assertThat(r.statusCode()).isEqualTo(200);
        String sent = f.upstream.stats().lastHeaders().get("traceparent");
        assertThat(sent).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01").doesNotContain("0".repeat(32));
        var spans = spansOf(traceIdOf(sent), 1);
        assertThat(one(spans, SpanKind.SPAN_KIND_SERVER, null).parentSpanId()).isEmpty();
    }

    @Test
    void anthropicUpstream_getsTheAttemptsTraceparent() {
        String trace = "c".repeat(32);
        var r = f.post("/v1/messages", "{\"model\":\"chat-anthropic\",\"max_tokens\":20,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                Map.of("traceparent", "00-" + trace + "-" + "d".repeat(16) + "-01", "anthropic-version", "2023-06-01"));
        assertThat(r.statusCode()).isEqualTo(200);
        var spans = spansOf(trace, 1);
        var attempt = one(spans, SpanKind.SPAN_KIND_CLIENT, null);
        assertThat(attempt.string("gen_ai.provider.name")).isEqualTo("anthropic");
        assertThat(one(spans, SpanKind.SPAN_KIND_SERVER, null).string("arbiter.api")).isEqualTo("messages");
        assertThat(f.upstream.stats().lastHeaders().get("traceparent")).isEqualTo("00-" + trace + "-" + attempt.spanId() + "-01");
    }
}
