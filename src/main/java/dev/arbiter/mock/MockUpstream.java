package dev.arbiter.mock;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.mock.MockPlan.Fault;
import io.helidon.http.Header;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * {@code arbiter mock-upstream}: Arbiter's fake model as a standalone HTTP server speaking the OpenAI
 * ({@code /v1/chat/completions}, {@code /v1/completions}, {@code /v1/embeddings}, {@code /v1/models}) and
 * Anthropic ({@code /v1/messages}) wire formats, so tests and benchmarks cross real HTTP between the gateway
 * and its upstream. Every response carries {@code x-mock-upstream: arbiter}; {@code GET /mock/stats} returns
 * its counters. The JSON is read and written by hand, never with Arbiter's codecs, so the fake is an
 * independent check of them. Any model name is accepted and echoed.
 *
 * <p>Handlers block on Helidon's virtual threads; a non-streamed answer is built as bytes and sent with a
 * content length. A paced stream (a ttft or a token rate is set) flushes every event as it is written; an
 * unpaced one goes through Helidon's write buffer in a few large chunks, which on two shared cores took the
 * fake from about 700 to 8,600 streams a second.
 *
 * <p>Injected faults, as the client sees them: an error status with the provider's error body; 429 with
 * {@code Retry-After} in whole seconds; a hang that sends nothing until the client gives up (the fake cannot see the
 * client leave without writing, so the handler itself waits until {@link #stop} or five minutes, then closes
 * the connection); a reset that closes the connection without a byte of response (the JDK client reports
 * "HTTP/1.1 header parser received no bytes"); a malformed answer, a 200 whose JSON is cut in half, or a stream
 * whose first token event is cut; and a drop, a stream that ends cleanly after N token events without its final
 * events. A client that leaves mid-stream is seen when a write fails: the stream is counted as cancelled and
 * generation stops.
 */
public final class MockUpstream {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final byte[] DONE = sse(null, "[DONE]");
    static final String CHAT = "/v1/chat/completions";
    static final String COMPLETIONS = "/v1/completions";
    static final String EMBEDDINGS = "/v1/embeddings";
    static final String MODELS = "/v1/models";
    static final String MESSAGES = "/v1/messages";
    static final List<String> PATHS = List.of(CHAT, COMPLETIONS, EMBEDDINGS, MODELS, MESSAGES);
    private static final Header LABEL = HeaderValues.create("x-mock-upstream", "arbiter");
    private static final byte[] MODEL_LIST = MockOpenAi.models(List.of("mock-chat", "mock-embedding"));
    private static final long HANG_MINUTES = 5;
    private static final byte[] NO_BODY = new byte[0];

    private final MockEngine engine;
    private final MockStats stats = new MockStats();
    private final CountDownLatch stopping = new CountDownLatch(1);
    private final WebServer server;

    /** The events of one streamed answer, made when written: head, token steps (one event per token), tail. */
    interface Script {
        List<byte[]> head();

        int steps();

        List<byte[]> step(int s);

        List<byte[]> tail();

        /** An event whose data is not valid JSON, sent in place of the first token by a malformed stream. */
        byte[] malformed();
    }

    private enum Wire {
        OPENAI,
        ANTHROPIC;

        byte[] error(int status, String message) {
            return this == OPENAI ? MockOpenAi.error(status, message) : MockAnthropic.error(status, message);
        }
    }

    /** What an endpoint answers: a JSON body, or a stream. */
    private record Output(byte[] json, Script script) {
        static Output json(byte[] b) {
            return new Output(b, null);
        }

        static Output stream(Script s) {
            return new Output(null, s);
        }
    }

    private MockUpstream(String host, int port, MockEngine engine) {
        this.engine = engine;
        this.server = WebServer.builder().host(host).port(port).routing(r -> r
                .addFilter((chain, req, res) -> {
                    res.header(LABEL);
                    chain.proceed();
                })
                .post(CHAT, (req, res) -> serve(req, res, CHAT, Wire.OPENAI, this::chat))
                .post(COMPLETIONS, (req, res) -> serve(req, res, COMPLETIONS, Wire.OPENAI, this::completion))
                .post(EMBEDDINGS, (req, res) -> serve(req, res, EMBEDDINGS, Wire.OPENAI, this::embeddings))
                .post(MESSAGES, (req, res) -> serve(req, res, MESSAGES, Wire.ANTHROPIC, this::messages))
                .get(MODELS, (req, res) -> {
                    stats.request(MODELS, req, NO_BODY);
                    res.header(HeaderValues.CONTENT_TYPE_JSON).send(MODEL_LIST);
                })
                .get("/mock/stats", (req, res) -> res.header(HeaderValues.CONTENT_TYPE_JSON).send(bytes(stats.json()))))
                .build();
    }

    /** Starts the fake on {@code host}:{@code port}; port 0 picks a free port, see {@link #port()}. */
    public static MockUpstream start(String host, int port, MockConfig config) {
        return start(host, port, new MockEngine(config));
    }

    static MockUpstream start(String host, int port, MockEngine engine) {
        var m = new MockUpstream(host, port, engine);
        m.server.start();
        return m;
    }

    public int port() {
        return server.port();
    }

    /** Ends hangs and streams in progress, then stops the server. */
    public void stop() {
        stopping.countDown();
        server.stop();
    }

    /**
     * A snapshot of the fake's counters: requests by path (the model endpoints, not {@code /mock/stats}), streams
     * started, completed (every event written), cancelled (the client left mid-stream; truncated and malformed
     * streams are neither), injected faults by {@link Fault#kind()}, and the last request as received (headers
     * with lower-case names and the body, both bounded). {@code GET /mock/stats} shows the same, with credential
     * headers masked.
     */
    public record Stats(Map<String, Long> requests, long streamsStarted, long streamsCompleted, long streamsCancelled,
                        Map<String, Long> faults, String lastPath, Map<String, String> lastHeaders, String lastBody) {
        public Stats {
            requests = Map.copyOf(requests);
            faults = Map.copyOf(faults);
        }

        /** Requests served on {@code path}. */
        public long requests(String path) {
            return requests.getOrDefault(path, 0L);
        }

        public long totalRequests() {
            long sum = 0;
            for (long v : requests.values()) sum += v;
            return sum;
        }

        /** Faults of {@code kind} injected. */
        public long faults(String kind) {
            return faults.getOrDefault(kind, 0L);
        }
    }

    /** A snapshot of the counters and the last request. */
    public Stats stats() {
        return stats.snapshot();
    }

    /** Zeroes the counters and forgets the last request. */
    public void reset() {
        stats.reset();
    }

    private boolean stopped() {
        return stopping.getCount() == 0;
    }

    private Output chat(JsonNode body) {
        MockAnswer a = engine.answer(MockOpenAi.chatPrompt(body));
        String id = engine.nextId("chatcmpl-");
        if (!body.path("stream").asBoolean()) return Output.json(MockOpenAi.chat(id, model(body), engine.epochSecond(), a));
        return Output.stream(MockOpenAi.chatStream(id, model(body), engine.epochSecond(), a, includeUsage(body)));
    }

    private Output completion(JsonNode body) {
        int n = MockOpenAi.intOr(body, "n", 1);
        int max = MockOpenAi.intOr(body, "max_tokens", Integer.MAX_VALUE);
        var answers = new ArrayList<MockAnswer>();
        for (MockEngine.Input in : MockOpenAi.completionPrompts(body)) {
            answers.add(engine.answer(new MockEngine.Prompt(in.text(), List.of(), true, null, false, max, n)));
        }
        String id = engine.nextId("cmpl-");
        if (!body.path("stream").asBoolean()) return Output.json(MockOpenAi.completion(id, model(body), engine.epochSecond(), answers));
        return Output.stream(MockOpenAi.completionStream(id, model(body), engine.epochSecond(), answers, includeUsage(body)));
    }

    private Output embeddings(JsonNode body) {
        if (!body.has("input")) throw new IllegalArgumentException("input: required");
        int dims = MockOpenAi.intOr(body, "dimensions", engine.config().embeddingDimensions());
        if (dims < 1 || dims > 8192) throw new IllegalArgumentException("dimensions: " + dims + " (expected: 1..8192)");
        boolean base64 = "base64".equals(body.path("encoding_format").asText());
        return Output.json(bytes(MockOpenAi.embeddings(model(body), MockEngine.inputs(body.get("input")), dims, base64)));
    }

    private Output messages(JsonNode body) {
        MockAnswer a = engine.answer(MockAnthropic.prompt(body));
        String id = engine.nextId("msg_");
        if (!body.path("stream").asBoolean()) return Output.json(MockAnthropic.message(id, model(body), a));
        return Output.stream(MockAnthropic.stream(id, model(body), a));
    }

    private static String model(JsonNode body) {
        JsonNode m = body.get("model");
        if (m == null || !m.isTextual() || m.asText().isEmpty()) throw new IllegalArgumentException("model: required");
        return m.asText();
    }

    private static boolean includeUsage(JsonNode body) {
        return body.path("stream_options").path("include_usage").asBoolean(false);
    }

    private void serve(ServerRequest req, ServerResponse res, String path, Wire wire, Function<JsonNode, Output> answer)
            throws IOException {
        byte[] raw = req.content().inputStream().readAllBytes();
        stats.request(path, req, raw);
        JsonNode body;
        try {
            body = MAPPER.readTree(raw);
        } catch (JsonProcessingException e) {
            body = null;
        }
        if (body == null || !body.isObject()) {
            error(res, wire, 400, "the body is not a JSON object");
            return;
        }
        Output out;
        try {
            out = answer.apply(body);
        } catch (IllegalArgumentException e) {
            error(res, wire, 400, e.getMessage());
            return;
        }
        MockPlan plan = engine.plan(out.script() != null);
        stats.fault(plan.fault());
        switch (plan.fault()) {
            case Fault.Error(int status) -> {
                error(res, wire, status, "mock upstream injected HTTP " + status);
                return;
            }
            case Fault.RateLimited(Duration retryAfter) -> {
                res.header("retry-after", Long.toString((retryAfter.toMillis() + 999) / 1000));
                error(res, wire, 429, "mock upstream injected HTTP 429 (rate limited)");
                return;
            }
            case Fault.Hang h -> {
                try {
                    stopping.await(HANG_MINUTES, TimeUnit.MINUTES);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new CloseConnectionException("mock upstream: injected hang ended");
            }
            case Fault.Reset r -> throw new CloseConnectionException("mock upstream: injected connection reset");
            default -> { }
        }
        if (!pause(plan.latency())) throw new CloseConnectionException("mock upstream stopping");
        if (out.script() != null) {
            stream(res, plan, out.script());
        } else {
            byte[] b = plan.fault() instanceof Fault.Malformed ? Arrays.copyOf(out.json(), out.json().length / 2) : out.json();
            res.header(HeaderValues.CONTENT_TYPE_JSON).send(b);
        }
    }

    private static void error(ServerResponse res, Wire wire, int status, String message) {
        res.status(status).header(HeaderValues.CONTENT_TYPE_JSON).send(wire.error(status, message));
    }

    private boolean pause(Duration d) {
        try {
            return engine.sleeper().sleep(d.toNanos(), this::stopped);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void stream(ServerResponse res, MockPlan plan, Script script) {
        res.header(HeaderValues.CONTENT_TYPE_EVENT_STREAM).header(HeaderValues.CACHE_NO_CACHE);
        stats.streamStarted();
        int dropAfter = plan.fault() instanceof Fault.Drop(int n) ? n : -1;
        boolean paced = !plan.ttft().isZero() || !plan.perToken().isZero();
        boolean complete = false;
        try (OutputStream out = res.outputStream()) {
            for (byte[] e : script.head()) write(out, e, paced);
            if (plan.fault() instanceof Fault.Malformed) {
                write(out, script.malformed(), paced);
                return;
            }
            int sent = 0;
            for (int s = 0; s < script.steps(); s++) {
                if (!pause(s == 0 ? plan.ttft() : plan.perToken())) return;
                for (byte[] e : script.step(s)) {
                    if (sent++ == dropAfter) return;
                    write(out, e, paced);
                }
            }
            if (dropAfter >= 0) return;
            for (byte[] e : script.tail()) write(out, e, paced);
            complete = true;
        } catch (IOException | UncheckedIOException | CloseConnectionException e) {
            stats.streamCancelled();
            return;
        }
        if (complete) stats.streamCompleted();
    }

    private static void write(OutputStream out, byte[] event, boolean flush) throws IOException {
        out.write(event);
        if (flush) out.flush();
    }

    static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode parse(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One server-sent event, blank line included; {@code data} holds no newline. */
    static byte[] sse(String event, String data) {
        String s = event == null ? "data: " + data + "\n\n" : "event: " + event + "\ndata: " + data + "\n\n";
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] data(ObjectNode chunk) {
        return sse(null, chunk.toString());
    }

    static int steps(List<MockAnswer.Alternative> alts) {
        int steps = 0;
        for (var alt : alts) steps = Math.max(steps, alt.deltas().size());
        return steps;
    }
}
