package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.mock.MockConfig;
import dev.arbiter.wire.Json;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * Single-flight over real HTTP against {@code mock-upstream}, counted at the mock: identical requests in flight at once
 * make one upstream call, streamed or not; clients that leave do not cancel it for the others, the last to leave does;
 * a failure reaches every waiter in its own format; callers never share; a joiner's shorter deadline is its own.
 */
class SingleFlightE2eTest {
    /** 1.5 s before any answer; a stream of 40 tokens at 20 a second then lasts 2 s more. */
    static final MockConfig SLOW = new MockConfig(new MockConfig.Latency("fixed", Duration.ofMillis(1500), Duration.ZERO),
            Duration.ZERO, 20, 40, 8, MockConfig.Faults.NONE, 1);
    static final String CHAT = "{\"model\":\"chat-openai\",\"temperature\":0%s,\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}";
    static final String STREAM = ",\"stream\":true";

    static HttpRequest chat(Fixture f, String body, Map<String, String> headers) {
        var b = HttpRequest.newBuilder(f.uri("/v1/chat/completions")).timeout(Duration.ofSeconds(30))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        return b.build();
    }

    /** Sends {@code n} requests at once, each on its own virtual thread, and returns what each got. */
    static <T> List<T> concurrently(int n, IntFunction<T> call) throws Exception {
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            var start = new CountDownLatch(1);
            var futures = new ArrayList<Future<T>>();
            for (int i = 0; i < n; i++) {
                int k = i;
                futures.add(pool.submit(() -> {
                    start.await();
                    return call.apply(k);
                }));
            }
            start.countDown();
            var out = new ArrayList<T>();
            for (Future<T> fu : futures) out.add(fu.get(60, TimeUnit.SECONDS));
            return out;
        }
    }

    /** The text of a chat completions stream: its content deltas in order. */
    static String text(String sse) {
        var sb = new StringBuilder();
        for (String line : sse.split("\n")) {
            if (!line.startsWith("data: {")) continue;
            sb.append(Json.parse(line.substring(6)).path("choices").path(0).path("delta").path("content").asText(""));
        }
        return sb.toString();
    }

    static long upstreamCalls(Fixture f) {
        return f.upstream.stats().totalRequests();
    }

    @Test
    void hundredIdenticalRequests_notStreamed_makeOneUpstreamCall_andEveryClientGetsTheWholeAnswer() throws Exception {
        try (var f = new Fixture(SLOW, "", "")) {
            var responses = concurrently(100, i -> f.send(chat(f, CHAT.formatted("", "same question"), Map.of())));
            assertThat(upstreamCalls(f)).isEqualTo(1);
            String first = responses.getFirst().body();
            assertThat(Json.parse(first).path("choices").path(0).path("message").path("content").asText()).startsWith("Mock answer");
            int joined = 0;
            for (var r : responses) {
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(r.body()).isEqualTo(first);
                if (r.headers().firstValue("x-arbiter-dedup").orElse("").equals("joined")) joined++;
            }
            assertThat(joined).isEqualTo(99);
            String metrics = f.get("/metrics").body();
            assertThat(metrics).contains("arbiter_dedup_joined_total{model=\"chat-openai\",stream=\"false\"} 99.0");
            assertThat(metrics).contains("arbiter_dedup_saved_calls_total{model=\"chat-openai\"} 99.0");
            // the outcome of a joined request says so, and costs nothing: the leader's carries the cost
            assertThat(f.outcomes.stream().filter(o -> o.joined()).count()).isEqualTo(99);
            assertThat(f.outcomes.stream().filter(o -> o.joined()).allMatch(o -> o.costUsd() == 0 && o.attempts() == 0)).isTrue();
            assertThat(f.outcomes.stream().filter(o -> !o.joined()).mapToDouble(o -> o.costUsd()).sum()).isPositive();
        }
    }

    @Test
    void hundredIdenticalStreams_makeOneUpstreamCall_andEveryClientGetsTheWholeIdenticalStream() throws Exception {
        try (var f = new Fixture(SLOW, "", "")) {
            var responses = concurrently(100, i -> f.send(chat(f, CHAT.formatted(STREAM, "same stream"), Map.of())));
            assertThat(upstreamCalls(f)).isEqualTo(1);
            assertThat(f.upstream.stats().streamsCompleted()).isEqualTo(1);
            String first = responses.getFirst().body();
            assertThat(text(first)).startsWith("Mock answer");
            assertThat(first).endsWith("data: [DONE]\n\n");
            for (var r : responses) {
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo(first);
            }
            assertThat(responses.stream().filter(r -> r.headers().firstValue("x-arbiter-dedup").isPresent()).count()).isEqualTo(99);
        }
    }

    @Test
    void ninetyNineStreamsLeaving_doNotCancelTheLast_whichGetsTheWholeAnswer() throws Exception {
        try (var f = new Fixture(SLOW, "", "")) {
            String whole = f.post("/v1/chat/completions", CHAT.formatted(STREAM, "others leave")).body();
            f.upstream.reset();
            var bodies = concurrently(100, i -> {
                try {
                    var r = f.client.send(chat(f, CHAT.formatted(STREAM, "others leave"), Map.of()), HttpResponse.BodyHandlers.ofInputStream());
                    try (InputStream in = r.body()) {
                        if (i != 0) return new String(in.readNBytes(16), StandardCharsets.UTF_8);   // then hang up mid-stream
                        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    }
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            assertThat(bodies.getFirst()).endsWith("data: [DONE]\n\n");
            assertThat(text(bodies.getFirst())).isEqualTo(text(whole)).startsWith("Mock answer");
            assertThat(upstreamCalls(f)).isEqualTo(1);
            assertThat(f.upstream.stats().streamsCompleted()).isEqualTo(1);
            assertThat(f.upstream.stats().streamsCancelled()).isZero();
        }
    }

    @Test
    void everyStreamLeaving_closesTheUpstreamStream() throws Exception {
        try (var f = new Fixture(SLOW, "", "")) {
            concurrently(100, i -> {
                try {
                    var r = f.client.send(chat(f, CHAT.formatted(STREAM, "all leave"), Map.of()), HttpResponse.BodyHandlers.ofInputStream());
                    try (InputStream in = r.body()) {
                        return in.readNBytes(16).length;
                    }
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            long until = System.nanoTime() + Duration.ofSeconds(8).toNanos();
            while (f.upstream.stats().streamsCancelled() == 0 && System.nanoTime() < until) Thread.sleep(50);
            assertThat(f.upstream.stats().streamsCancelled()).isEqualTo(1);
            assertThat(f.upstream.stats().streamsCompleted()).isZero();
            assertThat(upstreamCalls(f)).isEqualTo(1);
        }
    }

    @Test
    void aLateJoiner_getsTheFramesAlreadySent_thenTheRest() throws Exception {
        try (var f = new Fixture(SLOW, "", "")) {
            String body = CHAT.formatted(STREAM, "late joiner");
            var leader = f.client.send(chat(f, body, Map.of()), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = leader.body()) {
                byte[] head = in.readNBytes(200);   // the stream is under way upstream
                var late = f.send(chat(f, body, Map.of()));
                String rest = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                assertThat(late.headers().firstValue("x-arbiter-dedup")).hasValue("joined");
                assertThat(late.body()).isEqualTo(new String(head, StandardCharsets.UTF_8) + rest);
            }
            assertThat(upstreamCalls(f)).isEqualTo(1);
        }
    }

    @Test
    void aJoinerAfterTheReplayBound_makesItsOwnCall() throws Exception {
        String models = """
                  - name: tiny-replay
                    single-flight: {max-replay-bytes: 0}
                    deployments: [{name: up-tiny, provider: openai, base-url: "{UPSTREAM}/v1", api-key: "k"}]
                """;
        try (var f = new Fixture(SLOW, "", models)) {
            String body = CHAT.formatted(STREAM, "bounded").replace("chat-openai", "tiny-replay");
            var leader = f.client.send(chat(f, body, Map.of()), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = leader.body()) {
                in.readNBytes(200);
                var late = f.send(chat(f, body, Map.of()));
                assertThat(late.statusCode()).isEqualTo(200);
                assertThat(late.headers().firstValue("x-arbiter-dedup")).isEmpty();
                assertThat(late.body()).endsWith("data: [DONE]\n\n");
                in.readAllBytes();
            }
            assertThat(upstreamCalls(f)).isEqualTo(2);
        }
    }

    @Test
    void aFailingSharedCall_reachesEveryWaiter_inItsOwnApiFormat() throws Exception {
        var n = MockConfig.Faults.NONE;
        var failing = SLOW.withFaults(new MockConfig.Faults(1.0, List.of(500), 0, n.retryAfter(), 0, 0, 0, 0, n.dropAfterTokens()));
        // three attempts a second apart: the shared call lasts two seconds, so all hundred requests wait for it
        String models = """
                  - name: failing
                    retry: {max-attempts: 3, backoff: fixed, initial-delay: 1s, max-delay: 1s, jitter: none}
                    deployments: [{name: up-failing, provider: openai, base-url: "{UPSTREAM}/v1", api-key: "k",
                                   circuit-breaker: {enabled: false}}]
                """;
        try (var f = new Fixture(failing, "", models)) {
            var responses = concurrently(100, i -> i % 2 == 0
                    ? f.send(chat(f, CHAT.formatted("", "fails").replace("chat-openai", "failing"), Map.of()))
                    : f.send(HttpRequest.newBuilder(f.uri("/v1/messages")).timeout(Duration.ofSeconds(30))
                            .header("content-type", "application/json").header("anthropic-version", "2023-06-01")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"failing\",\"max_tokens\":50,\"temperature\":0,"
                                    + "\"messages\":[{\"role\":\"user\",\"content\":\"fails\"}]}")).build()));
            for (int i = 0; i < responses.size(); i++) {
                var r = responses.get(i);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(502);
                var json = Json.parse(r.body());
                if (i % 2 == 0) assertThat(json.path("error").path("message").asText()).isNotEmpty();
                else assertThat(json.path("type").asText()).isEqualTo("error");
                assertThat(r.headers().firstValue("x-arbiter-attempts")).hasValue("3");
            }
            // one shared call per format (each of three attempts), not one per request
            assertThat(upstreamCalls(f)).isEqualTo(6);
        }
    }

    @Test
    void differentCallers_neverShare() throws Exception {
        try (var f = new Fixture(SLOW, "", "")) {
            var responses = concurrently(50, i -> f.send(chat(f, CHAT.formatted("", "per caller"),
                    Map.of("authorization", "Bearer caller-key-" + (i % 10)))));
            assertThat(responses).allMatch(r -> r.statusCode() == 200);
            assertThat(upstreamCalls(f)).isEqualTo(10);
            assertThat(responses.stream().filter(r -> r.headers().firstValue("x-arbiter-dedup").isPresent()).count()).isEqualTo(40);
        }
    }

    @Test
    void aJoinerWithAShorterDeadline_timesOutAlone() throws Exception {
        try (var f = new Fixture(SLOW, "", "")) {
            String body = CHAT.formatted("", "short deadline");
            try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                var leader = pool.submit(() -> f.send(chat(f, body, Map.of())));
                Thread.sleep(300);
                long start = System.nanoTime();
                var joiner = f.send(chat(f, body, Map.of("x-arbiter-timeout", "400ms")));
                long took = System.nanoTime() - start;
                assertThat(joiner.statusCode()).as(joiner.body()).isEqualTo(504);
                assertThat(Duration.ofNanos(took)).isLessThan(Duration.ofMillis(1100));   // its own 400 ms, not the 1.5 s call
                var l = leader.get(20, TimeUnit.SECONDS);
                assertThat(l.statusCode()).isEqualTo(200);
                assertThat(l.headers().firstValue("x-arbiter-dedup")).isEmpty();
            }
            assertThat(upstreamCalls(f)).isEqualTo(1);
        }
    }

    @Test
    void aRequestAllowedMoreTimeThanTheLeader_makesItsOwnCall() throws Exception {
        try (var f = new Fixture(SLOW, "", "")) {
            String body = CHAT.formatted("", "longer deadline");
            try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                var leader = pool.submit(() -> f.send(chat(f, body, Map.of("x-arbiter-timeout", "5s"))));
                Thread.sleep(300);
                var other = f.send(chat(f, body, Map.of()));
                assertThat(other.statusCode()).isEqualTo(200);
                assertThat(other.headers().firstValue("x-arbiter-dedup")).isEmpty();
                assertThat(leader.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            }
            assertThat(upstreamCalls(f)).isEqualTo(2);
        }
    }

    @Test
    void sampledRequests_areNotSharedByDefault_butMayOptIn_andAnyMayOptOut() throws Exception {
        String models = """
                  - name: share-all
                    single-flight: {share-sampled: true}
                    deployments: [{name: up-all, provider: openai, base-url: "{UPSTREAM}/v1", api-key: "k"}]
                  - name: no-dedup
                    single-flight: false
                    deployments: [{name: up-none, provider: openai, base-url: "{UPSTREAM}/v1", api-key: "k"}]
                """;
        String sampled = "{\"model\":\"%s\",%s\"messages\":[{\"role\":\"user\",\"content\":\"sample me\"}]}";
        try (var f = new Fixture(SLOW, "", models)) {
            var cases = new HashMap<String, Long>();
            cases.put("chat-openai|", 10L);                                   // no temperature: a sample each
            cases.put("chat-openai|\"temperature\":0.7,", 10L);
            cases.put("chat-openai|\"temperature\":0.7,\"seed\":7,", 1L);      // a seed asks for the same answer
            cases.put("chat-openai|\"temperature\":0,on", 1L);
            cases.put("chat-openai|on", 1L);                                  // the client says samples may be shared
            cases.put("chat-openai|\"temperature\":0,off", 10L);              // the client opts out
            cases.put("share-all|", 1L);                                      // the model shares samples
            cases.put("no-dedup|\"temperature\":0,", 10L);
            for (var c : cases.entrySet()) {
                String[] parts = c.getKey().split("\\|", -1);
                String fields = parts[1].replaceAll("(on|off)$", "");
                String header = parts[1].endsWith("on") ? "on" : parts[1].endsWith("off") ? "off" : null;
                f.upstream.reset();
                var responses = concurrently(10, i -> f.send(chat(f, sampled.formatted(parts[0], fields),
                        header == null ? Map.of() : Map.of("x-arbiter-single-flight", header))));
                assertThat(responses).allMatch(r -> r.statusCode() == 200);
                assertThat(upstreamCalls(f)).as(c.getKey()).isEqualTo(c.getValue());
            }
            var bad = f.send(chat(f, sampled.formatted("chat-openai", ""), Map.of("x-arbiter-single-flight", "maybe")));
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(bad.body()).contains("x-arbiter-single-flight");
        }
    }

    @Test
    void identicalMessagesStreams_andEmbeddings_shareToo() throws Exception {
        try (var f = new Fixture(SLOW, "", "")) {
            String messages = "{\"model\":\"chat-anthropic\",\"max_tokens\":100,\"temperature\":0,\"stream\":true,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"same, via messages\"}]}";
            var streams = concurrently(20, i -> f.post("/v1/messages", messages, Map.of("anthropic-version", "2023-06-01")));
            assertThat(upstreamCalls(f)).isEqualTo(1);
            for (var r : streams) {
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).startsWith("event: message_start").contains("event: message_stop").isEqualTo(streams.getFirst().body());
            }
            f.upstream.reset();
            // embeddings are always reproducible: shared without a temperature
            var embeddings = concurrently(20, i -> f.post("/v1/embeddings", "{\"model\":\"embed-openai\",\"input\":\"same text\"}"));
            assertThat(embeddings).allMatch(r -> r.statusCode() == 200 && r.body().equals(embeddings.getFirst().body()));
            assertThat(upstreamCalls(f)).isEqualTo(1);
        }
    }
}
