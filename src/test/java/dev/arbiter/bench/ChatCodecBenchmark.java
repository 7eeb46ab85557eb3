package dev.arbiter.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.chat.ChatCodec;
import dev.arbiter.wire.Json;
import dev.arbiter.llm.LlmRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The JSON work the gateway does on a chat request body, from the bytes it receives to the bytes it sends
 * upstream: parse, {@link ChatCodec#decodeRequest}, and either the same-format path (a deep copy of the
 * client's body with the model replaced, as {@code OpenAiProvider} does) or a full {@link ChatCodec#encodeRequest}.
 * {@code small} is the body {@code arbiter bench} sends; {@code agent} is a coding-agent turn with a long system
 * prompt, tools, a tool call and its result. Run it as the README shows.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC", "-Xms256m", "-Xmx256m"})
public class ChatCodecBenchmark {
    @Param({"small", "agent"})
    public String body;

    private final ObjectMapper mapper = Json.requestMapper(64, 8 * 1024 * 1024);
    private byte[] bytes;
    private ObjectNode tree;
    private LlmRequest request;

    @Setup
    public void setUp() throws IOException {
        bytes = (body.equals("small") ? Scenarios.chat(false) : agent()).getBytes(StandardCharsets.UTF_8);
        tree = (ObjectNode) mapper.readTree(bytes);
        request = ChatCodec.decodeRequest(tree);
    }

    @Benchmark
    public ObjectNode parse() throws IOException {
        return (ObjectNode) mapper.readTree(bytes);
    }

    @Benchmark
    public LlmRequest decode() {
        return ChatCodec.decodeRequest(tree);
    }

    @Benchmark
    public byte[] encode() {
        return Json.bytes(ChatCodec.encodeRequest(request, "upstream-model"));
    }

    @Benchmark
    public byte[] passThrough() throws IOException {
        LlmRequest req = ChatCodec.decodeRequest((ObjectNode) mapper.readTree(bytes));
        ObjectNode out = req.raw().deepCopy();
        out.put("model", "upstream-model");
        return Json.bytes(out);
    }

    @Benchmark
    public byte[] decodeAndEncode() throws IOException {
        LlmRequest req = ChatCodec.decodeRequest((ObjectNode) mapper.readTree(bytes));
        return Json.bytes(ChatCodec.encodeRequest(req, "upstream-model"));
    }

    static String agent() {
        String system = ("You are a coding agent working in a Java repository. Follow the house style, keep classes small, "
                + "write tests first, and explain each change in one sentence. ").repeat(12);
        return """
                {"model":"bench-chat","stream":false,"temperature":0.2,"max_completion_tokens":2048,"parallel_tool_calls":true,
                 "messages":[
                  {"role":"system","content":"%s"},
                  {"role":"user","content":"Find where request ids are generated and make them cheaper."},
                  {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
                    "function":{"name":"grep","arguments":"{\\"pattern\\":\\"randomUUID\\",\\"path\\":\\"src/main/java\\"}"}}]},
                  {"role":"tool","tool_call_id":"call_1","content":"src/main/java/dev/arbiter/api/HttpApi.java:147: .orElseGet(() -> UUID.randomUUID().toString());"},
                  {"role":"user","content":[{"type":"text","text":"Also check the access log."},{"type":"text","text":"Keep the format."}]}],
                 "tools":[
                  {"type":"function","function":{"name":"grep","description":"Search files for a pattern","parameters":{"type":"object",
                    "properties":{"pattern":{"type":"string"},"path":{"type":"string"}},"required":["pattern"]}}},
                  {"type":"function","function":{"name":"read_file","description":"Read a file","parameters":{"type":"object",
                    "properties":{"path":{"type":"string"},"offset":{"type":"integer"},"limit":{"type":"integer"}},"required":["path"]}}},
                  {"type":"function","function":{"name":"edit_file","description":"Replace text in a file","parameters":{"type":"object",
                    "properties":{"path":{"type":"string"},"old":{"type":"string"},"new":{"type":"string"}},"required":["path","old","new"]}}}],
                 "tool_choice":"auto","user":"bench"}""".formatted(system.trim());
    }
}
