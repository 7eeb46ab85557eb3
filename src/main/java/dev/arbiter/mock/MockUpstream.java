package dev.arbiter.mock;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.mock.MockPlan.Fault;
import io.helidon.http.Header;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code arbiter mock-upstream}: Arbiter's fake model as a standalone HTTP server speaking the OpenAI
 * ({@code /v1/chat/completions}, {@code /v1/responses}, {@code /v1/completions}, {@code /v1/embeddings},
 * {@code /v1/models}) and Anthropic ({@code /v1/messages}, {@code /v1/messages/count_tokens}) wire formats, so tests
 * and benchmarks cross real HTTP between the gateway and its upstream. Every response carries
 * {@code x-mock-upstream: arbiter}; {@code GET /mock/stats} returns its counters. The JSON is read and written by
 * hand, never with Arbiter's codecs, so the fake is an independent check of them. Any model name is accepted and
 * echoed.
 *
 * <p>It speaks what coding agents need: reasoning in all three formats when asked for (signed, and the signatures
 * checked when echoed, see {@link MockSigner}), custom tool calls on Responses, Anthropic prompt caching (see
 * {@link MockPromptCache}) and the validation rules of the real APIs that a gateway could break in transit (see
 * {@link MockAnthropicRequest}, {@link MockResponsesRequest}, {@link MockOpenAi#checkChat}). Header
 * {@code x-mock-strict: true} makes {@code /v1/messages} refuse top-level fields Anthropic does not know.
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
 * whose first token event is cut; and a drop, a stream that ends cleanly after N token steps without its final
 * events. A client that leaves mid-stream is seen when a write fails: the stream is counted as cancelled and
 * generation stops.
 */
public final class MockUpstream {
    static final String CHAT = "/v1/chat/completions";
    static final String COMPLETIONS = "/v1/completions";
    static final String EMBEDDINGS = "/v1/embeddings";
    static final String MODELS = "/v1/models";
    static final String MESSAGES = "/v1/messages";
    static final String COUNT_TOKENS = "/v1/messages/count_tokens";
    static final String RESPONSES = "/v1/responses";
    static final List<String> PATHS = List.of(CHAT, COMPLETIONS, EMBEDDINGS, MODELS, MESSAGES, COUNT_TOKENS, RESPONSES);
    /** With value {@code true}, {@code /v1/messages} refuses top-level fields Anthropic does not know. */
    static final HeaderName STRICT = HeaderNames.create("x-mock-strict");
    private static final Header LABEL = HeaderValues.create("x-mock-upstream", "arbiter");
    private static final byte[] MODEL_LIST = MockOpenAi.models(List.of("mock-chat", "mock-embedding"));
    private static final long HANG_MINUTES = 5;
    private static final byte[] NO_BODY = new byte[0];

    private volatile MockEngine engine;
    private final MockStats stats = new MockStats();
    private final MockPromptCache cache = new MockPromptCache();
    private final CountDownLatch stopping = new CountDownLatch(1);
    private final WebServer server;

    /**
     * The events of one streamed answer, made when written: head, token steps (the events of one token of
     * every choice, with any item or block boundary just before it), tail. A drop fault cuts it after N steps.
     */
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

    /** A request refused with a status other than 400; no stack trace, it is an answer, not a failure. */
    static final class Rejected extends IllegalArgumentException {
        final int status;

        Rejected(int status, String message) {
            super(message);
            this.status = status;
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    /** An endpoint: answers a parsed JSON body, reading headers from the request when it must. */
    @FunctionalInterface
    private interface Endpoint {
        Output answer(JsonNode body, ServerRequest req);
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
        // no Helidon shutdown hook: mock-upstream stops the server itself (and Helidon's hook loads its logging
        // set-up, which prints a notice that no Helidon logging implementation is on the classpath)
        this.server = WebServer.builder().host(host).port(port).shutdownHook(false).connectionOptions(o -> o.tcpNoDelay(true))
                .maxTcpConnections(dev.arbiter.config.ServerConfig.DEFAULT.effectiveMaxConnections()).routing(r -> r
                .addFilter((chain, req, res) -> {
                    res.header(LABEL);
                    chain.proceed();
                })
                .post(CHAT, (req, res) -> serve(req, res, CHAT, Wire.OPENAI, (b, h) -> chat(b)))
                .post(RESPONSES, (req, res) -> serve(req, res, RESPONSES, Wire.OPENAI, (b, h) -> responses(b)))
                .post(COMPLETIONS, (req, res) -> serve(req, res, COMPLETIONS, Wire.OPENAI, (b, h) -> completion(b)))
                .post(EMBEDDINGS, (req, res) -> serve(req, res, EMBEDDINGS, Wire.OPENAI, (b, h) -> embeddings(b)))
                .post(COUNT_TOKENS, (req, res) -> serve(req, res, COUNT_TOKENS, Wire.ANTHROPIC, this::countTokens))
                .post(MESSAGES, (req, res) -> serve(req, res, MESSAGES, Wire.ANTHROPIC, this::messages))
                .get(MODELS, (req, res) -> {
                    stats.request(MODELS, req, NO_BODY);
                    res.header(HeaderValues.CONTENT_TYPE_JSON).send(MODEL_LIST);
                })
                // a sink for OTLP/HTTP traces (bench/run.sh's traced gateway exports its spans here): each export is
                // read, counted and answered with an empty ExportTraceServiceResponse; it is not the "last request"
                .post("/v1/traces", (req, res) -> {
                    stats.otlp(req.content().inputStream().readAllBytes().length);
                    res.header(HeaderNames.CONTENT_TYPE, "application/x-protobuf").send(NO_BODY);
                })
                .get("/mock/stats", (req, res) -> res.header(HeaderValues.CONTENT_TYPE_JSON).send(MockWire.bytes(stats.json()))))
                .build();
    }

    /** Starts the fake on {@code host}:{@code port}; port 0 picks a free port, see {@link #port()}. */
    public static MockUpstream start(String host, int port, MockConfig config) {
        return start(host, port, new MockEngine(config));
    }

    static MockUpstream start(String host, int port, MockEngine engine) {
        var m = new MockUpstream(host, port, engine);
        m.server.start();
        if (!m.server.isRunning() || m.server.port() <= 0) {   // Helidon logs a failed bind and carries on
            m.server.stop();
            throw new IllegalStateException("could not listen on " + host + ":" + port + " (is another process using that port?)");
        }
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

    /**
     * From now on behaves as {@code config} says (latency, faults, ...), as if restarted with it but on the same port
     * and connections: a test changes the upstream's weather mid-run (slow, then refusing, then well again).
     */
    public void reconfigure(MockConfig config) {
        engine = engine.with(config);
    }

    /** Zeroes the counters, forgets the last request and empties the prompt cache. */
    public void reset() {
        stats.reset();
        cache.clear();
    }

    private boolean stopped() {
        return stopping.getCount() == 0;
    }

    private Output chat(JsonNode body) {
        MockOpenAi.checkChat(body, engine.config().strictReasoning());
        MockAnswer a = engine.answer(MockOpenAi.chatPrompt(body));
        String id = engine.nextId("chatcmpl-");
        if (!body.path("stream").asBoolean()) return Output.json(MockOpenAi.chat(id, model(body), engine.epochSecond(), a));
        return Output.stream(MockOpenAi.chatStream(id, model(body), engine.epochSecond(), a, includeUsage(body)));
    }

    private Output completion(JsonNode body) {
        int n = MockLimits.n(body);
        List<MockEngine.Input> prompts = MockOpenAi.completionPrompts(body);
        int max = Math.min(MockOpenAi.intOr(body, "max_tokens", Integer.MAX_VALUE),
                MockLimits.tokensPerChoice(MockLimits.choices(prompts.size(), n)));
        var answers = new ArrayList<MockAnswer>();
        for (MockEngine.Input in : prompts) {
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
        List<MockEngine.Input> inputs = MockEngine.inputs(body.get("input"));
        MockLimits.embeddings(inputs.size(), dims);
        return Output.json(MockWire.bytes(MockOpenAi.embeddings(model(body), inputs, dims, base64)));
    }

    private Output responses(JsonNode body) {
        var req = MockResponsesRequest.parse(body, engine.signer());
        MockAnswer a = engine.answer(req.prompt());
        var prefixes = req.prefixes();
        // an empty input (instructions only, or nothing) has no prefix to cache
        long cached = cache.use(prefixes, prefixes.isEmpty() ? List.of() : prefixes.subList(prefixes.size() - 1, prefixes.size()))
                .readTokens();
        var answer = MockResponses.answer(engine.nextId("resp_"), engine.epochSecond(), body, req, a, cached, engine.signer());
        if (!body.path("stream").asBoolean()) return Output.json(MockWire.bytes(MockResponses.response(answer, true)));
        return Output.stream(MockResponses.stream(answer));
    }

    private Output messages(JsonNode body, ServerRequest http) {
        var req = MockAnthropicRequest.parse(body, engine.signer(), strict(http));
        MockAnswer a = engine.answer(req.prompt());
        MockPromptCache.Hit hit = cache.use(req.breakpoints(), req.breakpoints());
        String id = engine.nextId("msg_");
        if (!body.path("stream").asBoolean()) return Output.json(MockAnthropic.message(id, req, a, hit, engine.signer()));
        return Output.stream(MockAnthropic.stream(id, req, a, hit, engine.signer()));
    }

    private Output countTokens(JsonNode body, ServerRequest http) {
        return Output.json(MockAnthropic.countTokens(MockAnthropicRequest.countTokens(body, strict(http))));
    }

    private static boolean strict(ServerRequest http) {
        return http.headers().first(STRICT).map("true"::equalsIgnoreCase).orElse(false);
    }

    static String model(JsonNode body) {
        JsonNode m = body.get("model");
        if (m == null || !m.isTextual() || m.asText().isEmpty()) throw new IllegalArgumentException("model: required");
        return m.asText();
    }

    private static boolean includeUsage(JsonNode body) {
        return body.path("stream_options").path("include_usage").asBoolean(false);
    }

    private void serve(ServerRequest req, ServerResponse res, String path, Wire wire, Endpoint answer)
            throws IOException {
        byte[] raw = req.content().inputStream().readAllBytes();
        stats.request(path, req, raw);
        JsonNode body;
        try {
            body = MockWire.MAPPER.readTree(raw);
        } catch (JsonProcessingException e) {
            body = null;
        }
        if (body == null || !body.isObject()) {
            error(res, wire, 400, "the body is not a JSON object");
            return;
        }
        Output out;
        try {
            out = answer.answer(body, req);
        } catch (IllegalArgumentException e) {
            error(res, wire, e instanceof Rejected r ? r.status : 400, e.getMessage());
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
            for (int s = 0; s < script.steps(); s++) {
                if (s == dropAfter) return;
                if (!pause(s == 0 ? plan.ttft() : plan.perToken())) return;
                for (byte[] e : script.step(s)) write(out, e, paced);
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
}
