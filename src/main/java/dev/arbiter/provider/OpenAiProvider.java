package dev.arbiter.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.chat.ChatCodec;
import dev.arbiter.chat.ChatResponses;
import dev.arbiter.chat.ChatStreamDecoder;
import dev.arbiter.wire.Json;
import dev.arbiter.responses.ResponsesCodec;
import dev.arbiter.responses.ResponsesStreamDecoder;
import dev.arbiter.config.DeploymentConfig;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.LlmResponse;
import dev.arbiter.llm.Operation;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.pipeline.ServedBy;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import dev.arbiter.config.ProviderRule;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Any OpenAI-compatible server: OpenAI, vLLM, llama.cpp, Ollama, Groq, Together, Mistral, DeepSeek,
 * OpenRouter; and Azure OpenAI ({@code provider: azure}: deployment path, {@code api-version}, {@code api-key}
 * header). A request that arrived as OpenAI chat is forwarded as the client wrote it, with only the model name
 * replaced (and, for streams, usage requested); other formats are encoded by {@link ChatCodec}.
 */
public final class OpenAiProvider implements Provider {
    /** {@code provider: openai}: chat completions, or the upstream's own Responses API with {@code api: responses}. */
    public static final ProviderKind OPENAI = new ProviderKind(
            new ProviderRule("openai", List.of("chat", "responses"), true, false),
            api -> "responses".equals(api) ? WireFormat.OPENAI_RESPONSES : WireFormat.OPENAI_CHAT,
            (d, context) -> new OpenAiProvider(d, context.http(d)));
    /** {@code provider: azure}: Azure OpenAI's chat completions. */
    public static final ProviderKind AZURE = new ProviderKind(
            new ProviderRule("azure", List.of("chat"), true, true),
            api -> WireFormat.OPENAI_CHAT,
            (d, context) -> new OpenAiProvider(d, context.http(d)));

    private final DeploymentConfig config;
    private final UpstreamHttp http;
    private final boolean azure;
    private final String providerName;
    private final boolean responsesApi;
    private final boolean developerRole;

    private OpenAiProvider(DeploymentConfig config, UpstreamHttp http) {
        this.config = config;
        this.azure = "azure".equals(config.provider());
        this.providerName = config.provider();
        this.responsesApi = "responses".equals(config.api());
        String host = config.baseUrl().getHost() == null ? "" : config.baseUrl().getHost();
        this.developerRole = azure || host.equals("api.openai.com");
        this.http = http;
    }

    @Override
    public Reply call(Exchange exchange, Deployment deployment) {
        LlmRequest req = exchange.request();
        if (responsesApi && req.operation() == Operation.CHAT) return callResponses(exchange, deployment, req);
        String path = switch (req.operation()) {
            case CHAT -> "/chat/completions";
            case COMPLETION -> "/completions";
            case EMBEDDING -> "/embeddings";
            case COUNT_TOKENS, STORED_RESPONSE -> throw new ArbiterException.Internal(req.operation().label() + " is not an upstream call");
        };
        ObjectNode body = body(req, deployment.upstreamModel(req.model()));
        URI uri = uri(path, deployment.upstreamModel(req.model()));
        Map<String, String> headers = headers(exchange);
        var served = new ServedBy(deployment.model(), deployment.name(), providerName);
        if (req.stream() && req.operation() != Operation.EMBEDDING) {
            var open = http.postStream(uri, headers, body, exchange.deadline(), config.timeout());
            return new Reply.Streaming(new SseFrameStream(open, new ChatStreamDecoder(), WireFormat.OPENAI_CHAT, config.name()), served);
        }
        ObjectNode answer = http.postJson(uri, headers, body, exchange.deadline(), config.timeout());
        LlmResponse response = req.operation() == Operation.EMBEDDING
                ? new LlmResponse(Json.text(answer, "id"), Json.text(answer, "model"), 0, null,
                        ChatResponses.decodeUsage(answer.get("usage")), WireFormat.OPENAI_CHAT, answer)
                : ChatResponses.decode(answer);
        return new Reply.Complete(response, served);
    }

    /** A deployment with {@code api: responses}: its own /v1/responses, passed through for Responses clients. */
    private Reply callResponses(Exchange exchange, Deployment deployment, LlmRequest req) {
        String model = deployment.upstreamModel(req.model());
        ObjectNode body;
        if (req.format() == WireFormat.OPENAI_RESPONSES && req.raw() != null) {
            body = req.raw().deepCopy();
            body.put("model", model);
        } else {
            body = ResponsesCodec.encodeRequest(req, model);
        }
        if (req.stream()) body.put("stream", true);
        else body.remove("stream");
        URI uri = uri("/responses", model);
        var served = new ServedBy(deployment.model(), deployment.name(), providerName);
        if (req.stream()) {
            var open = http.postStream(uri, headers(exchange), body, exchange.deadline(), config.timeout());
            return new Reply.Streaming(new SseFrameStream(open, new ResponsesStreamDecoder(), WireFormat.OPENAI_RESPONSES,
                    config.name()), served);
        }
        return new Reply.Complete(ResponsesCodec.decodeResponse(http.postJson(uri, headers(exchange), body, exchange.deadline(),
                config.timeout())), served);
    }

    private ObjectNode body(LlmRequest req, String upstreamModel) {
        if (req.format() == WireFormat.OPENAI_CHAT && req.raw() != null) {
            ObjectNode body = req.raw().deepCopy();
            if (azure) body.remove("model");
            else body.put("model", upstreamModel);
            if (!developerRole && req.operation() == Operation.CHAT) developerAsSystem(body);
            if (req.stream() && req.operation() != Operation.EMBEDDING) {
                JsonNode so = body.get("stream_options");
                ObjectNode options = so instanceof ObjectNode o ? o : body.putObject("stream_options");
                options.put("include_usage", true);
            }
            return body;
        }
        if (req.operation() != Operation.CHAT) {
            throw new ArbiterException.BadRequest(req.operation().label() + " requests must use the OpenAI format", null);
        }
        ObjectNode body = ChatCodec.encodeRequest(req, upstreamModel);
        if (azure) body.remove("model");
        return body;
    }

    /** Servers other than OpenAI's and Azure's often reject the {@code developer} role; it means system to them. */
    private static void developerAsSystem(ObjectNode body) {
        for (JsonNode m : body.path("messages")) {
            if (m instanceof ObjectNode o && "developer".equals(Json.text(o, "role"))) o.put("role", "system");
        }
    }

    private URI uri(String path, String upstreamModel) {
        String base = config.baseUrl().toString();
        if (azure) {
            return URI.create(base + "/openai/deployments/" + URLEncoder.encode(upstreamModel, StandardCharsets.UTF_8)
                    + path + "?api-version=" + URLEncoder.encode(config.apiVersion(), StandardCharsets.UTF_8));
        }
        return URI.create(base + path);
    }

    private Map<String, String> headers(Exchange exchange) {
        var h = new HashMap<>(config.headers());
        TraceHeaders.add(h, exchange);
        if (config.apiKey() != null && !config.apiKey().isEmpty()) {
            if (azure) h.put("api-key", config.apiKey().reveal());
            else h.put("authorization", "Bearer " + config.apiKey().reveal());
        }
        return h;
    }
}
