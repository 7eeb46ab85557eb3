package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.mock.MockConfig;
import dev.arbiter.observe.Outcome;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every request's outcome carries its trace: on failure it names the deployment and attempt that failed. */
class TraceTest {
    private static Fixture f;

    @BeforeAll
    static void start() {
        f = new Fixture(MockConfig.DEFAULT, "", """
                  - name: broken
                    deployments: [{name: broken-dep, provider: mock, mock: {faults: {error-rate: 1.0, error-statuses: [500]}}}]
                """);
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    private static Outcome outcome(String rid) {
        for (int i = 0; i < 200; i++) {
            var o = f.outcomes.stream().filter(x -> x.requestId().equals(rid)).findFirst();
            if (o.isPresent()) return o.get();
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("no outcome for " + rid);
    }

    @Test
    void failedRequest_outcomeNamesTheDeploymentAndTheAttempt() {
        var r = f.post("/v1/chat/completions", "{\"model\":\"broken\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                Map.of("x-request-id", "trace-fail"));
        assertThat(r.statusCode()).isEqualTo(502);
        Outcome o = outcome("trace-fail");
        assertThat(o.deployment()).isEqualTo("broken-dep");
        assertThat(o.provider()).isEqualTo("mock");
        assertThat(o.model()).isEqualTo("broken");
        // a 500 is transient: the default retry policy makes 3 attempts in all, each in the trace
        assertThat(o.trace().attempts()).hasSize(3).allSatisfy(a -> {
            assertThat(a.deployment()).isEqualTo("broken-dep");
            assertThat(a.status()).isEqualTo(502);
            assertThat(a.succeeded()).isFalse();
        });
        assertThat(r.headers().firstValue("x-arbiter-attempts")).hasValue("3");
    }

    @Test
    void answeredRequest_traceHoldsDecisionAttemptAndStageTimes() {
        var r = f.post("/v1/chat/completions", "{\"model\":\"chat-openai\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                Map.of("x-request-id", "trace-ok"));
        assertThat(r.statusCode()).isEqualTo(200);
        Outcome o = outcome("trace-ok");
        assertThat(o.trace().decision()).hasValueSatisfying(d -> {
            assertThat(d.model()).isEqualTo("chat-openai");
            assertThat(d.candidates()).containsExactly("up-openai");
            assertThat(d.selector()).isEqualTo("weighted");
        });
        assertThat(o.trace().attempts()).singleElement().satisfies(a -> {
            assertThat(a.succeeded()).isTrue();
            assertThat(a.firstByteNanos()).isGreaterThanOrEqualTo(a.startNanos());
        });
        assertThat(o.trace().stageTimes()).containsKeys("observe", "admit", "route", "attempt");
    }

    @Test
    void countTokens_goesThroughThePipeline_identifiedRoutedAndAttempted() {
        var r = f.post("/v1/messages/count_tokens", "{\"model\":\"chat-anthropic\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                Map.of("x-request-id", "trace-count", "x-api-key", "sk-counter"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-arbiter-token-count")).hasValue("anthropic");
        assertThat(r.body()).contains("\"input_tokens\"");
        Outcome o = outcome("trace-count");
        assertThat(o.operation()).isEqualTo("count_tokens");
        assertThat(o.caller()).startsWith("key:");
        assertThat(o.costUsd()).isZero();
        assertThat(o.trace().attempts()).singleElement().satisfies(a -> assertThat(a.deployment()).isEqualTo("up-anthropic"));
        assertThat(o.trace().stageTimes()).containsKeys("observe", "authenticate", "admit", "responses", "route", "attempt");
    }

    @Test
    void storedResponseRead_goesThroughThePipelineAsItsCaller() {
        var created = f.post("/v1/responses", "{\"model\":\"mock-chat\",\"input\":\"hi\"}", Map.of("authorization", "Bearer sk-reader"));
        assertThat(created.statusCode()).isEqualTo(200);
        String id = dev.arbiter.wire.Json.parse(created.body()).path("id").asText();
        var read = f.send(java.net.http.HttpRequest.newBuilder(f.uri("/v1/responses/" + id)).header("authorization", "Bearer sk-reader")
                .header("x-request-id", "trace-read").GET().build());
        assertThat(read.statusCode()).isEqualTo(200);
        Outcome o = outcome("trace-read");
        assertThat(o.operation()).isEqualTo("stored_response");
        assertThat(o.caller()).startsWith("key:");
        assertThat(o.trace().attempts()).isEmpty();
    }
}
