package dev.arbiter.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.messages.MessagesCodec;
import dev.arbiter.messages.MessagesStreamDecoder;
import dev.arbiter.config.DeploymentConfig;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.Choice;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.LlmResponse;
import dev.arbiter.llm.Message;
import dev.arbiter.llm.Operation;
import dev.arbiter.llm.Role;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.pipeline.ServedBy;
import dev.arbiter.config.ProviderRule;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Anthropic's Messages API ({@code POST /v1/messages}). A request that arrived in this format is forwarded as
 * the client sent it, with only the model name (and {@code stream}) rewritten, and its {@code anthropic-beta}
 * header passed on; a request from another format is translated by {@link MessagesCodec}. Chat only, plus a
 * legacy completion of a single prompt, answered as a chat turn.
 */
public final class AnthropicProvider implements Provider {
    static final String DEFAULT_VERSION = "2023-06-01";
    /** {@code provider: anthropic}. */
    public static final ProviderKind KIND = new ProviderKind(
            new ProviderRule("anthropic", List.of("messages"), true, false),
            api -> WireFormat.ANTHROPIC_MESSAGES,
            (d, context) -> new AnthropicProvider(d, context.http(d)));

    private final DeploymentConfig config;
    private final UpstreamHttp http;
    private final URI messages;

    private AnthropicProvider(DeploymentConfig config, UpstreamHttp http) {
        this.config = config;
        this.http = http;
        this.messages = messagesUri(config.baseUrl());
    }

    /** {@code {baseUrl}/v1/messages}, without doubling a {@code /v1} the base URL already ends with. */
    static URI messagesUri(URI baseUrl) {
        String base = baseUrl.toString().replaceAll("/+$", "");
        return URI.create(base.endsWith("/v1") ? base + "/messages" : base + "/v1/messages");
    }

    /**
     * Anthropic's own token count for a Messages request ({@code /v1/messages/count_tokens}): system, messages and
     * tools, as the model will see them.
     */
    @Override
    public java.util.OptionalLong countInputTokens(Exchange exchange, Deployment deployment) {
        return java.util.OptionalLong.of(countTokens(exchange, deployment));
    }

    public long countTokens(Exchange exchange, Deployment deployment) {
        LlmRequest req = exchange.request();
        ObjectNode body = body(req, deployment.upstreamModel(req.model()));
        body.remove("stream");
        body.remove("max_tokens");
        body.remove("temperature");
        body.remove("top_p");
        body.remove("top_k");
        body.remove("stop_sequences");
        body.remove("metadata");
        body.remove("service_tier");
        URI uri = URI.create(messages + "/count_tokens");
        ObjectNode answer = http.postJson(uri, headers(exchange, req.format()), body, exchange.deadline(), config.timeout());
        JsonNode n = answer.get("input_tokens");
        if (n == null || !n.canConvertToLong()) {
            throw new ArbiterException.Upstream(502, "upstream " + config.name() + " answered count_tokens without input_tokens",
                    "upstream_bad_response", null);
        }
        return n.asLong();
    }

    private static final int MAX_CACHE_BREAKPOINTS = 4;

    @Override
    public Reply call(Exchange exchange, Deployment deployment) {
        LlmRequest req = exchange.request();
        boolean completion = switch (req.operation()) {
            case CHAT -> false;
            case COMPLETION -> true;
            case EMBEDDING -> throw new ArbiterException.BadRequest(
                    "model " + deployment.model() + " does not support embeddings", "model");
            case COUNT_TOKENS, STORED_RESPONSE -> throw new ArbiterException.Internal(req.operation().label() + " is not an upstream call");
        };
        if (completion) req = asChat(req, deployment);
        ObjectNode body = body(req, deployment.upstreamModel(req.model()));
        Map<String, String> headers = headers(exchange, req.format());
        var servedBy = new ServedBy(deployment.model(), deployment.name(), "anthropic");
        if (req.stream()) {
            var open = http.postStream(messages, headers, body, exchange.deadline(), config.timeout());
            return new Reply.Streaming(new SseFrameStream(open, new MessagesStreamDecoder(),
                    WireFormat.ANTHROPIC_MESSAGES, config.name()), servedBy);
        }
        LlmResponse response = MessagesCodec.decodeResponse(
                http.postJson(messages, headers, body, exchange.deadline(), config.timeout()));
        return new Reply.Complete(completion ? textOnly(response) : response, servedBy);
    }

    private static ObjectNode body(LlmRequest req, String upstreamModel) {
        ObjectNode body;
        if (req.format() == WireFormat.ANTHROPIC_MESSAGES && req.raw() != null) {
            body = req.raw().deepCopy();
            body.put("model", upstreamModel);
        } else {
            body = MessagesCodec.encodeRequest(req, upstreamModel);
        }
        if (req.stream()) body.put("stream", true);
        else body.remove("stream");
        capCacheBreakpoints(body);
        return body;
    }

    /**
     * Anthropic rejects a request with more than four {@code cache_control} breakpoints. Should one arrive with
     * more, the earliest are removed: each breakpoint caches the prefix up to it, so the last four keep the longest
     * prefixes cached.
     */
    static void capCacheBreakpoints(ObjectNode body) {
        var marked = new java.util.ArrayList<ObjectNode>();
        collectBreakpoints(body.get("tools"), marked);
        collectBreakpoints(body.get("system"), marked);
        for (JsonNode m : body.path("messages")) collectBreakpoints(m.get("content"), marked);
        for (int i = 0; i < marked.size() - MAX_CACHE_BREAKPOINTS; i++) marked.get(i).remove("cache_control");
    }

    private static void collectBreakpoints(JsonNode blocks, java.util.List<ObjectNode> out) {
        if (blocks == null || !blocks.isArray()) return;
        for (JsonNode b : blocks) {
            if (b instanceof ObjectNode o && o.has("cache_control")) out.add(o);
            if (b.get("content") != null && b.get("content").isArray()) collectBreakpoints(b.get("content"), out);
        }
    }

    private Map<String, String> headers(Exchange exchange, WireFormat inbound) {
        var headers = new LinkedHashMap<String, String>();
        if (config.apiKey() != null && !config.apiKey().isEmpty()) headers.put("x-api-key", config.apiKey().reveal());
        headers.put("anthropic-version", exchange.header("anthropic-version").orElse(DEFAULT_VERSION));
        if (inbound == WireFormat.ANTHROPIC_MESSAGES) {
            exchange.header("anthropic-beta").map(this::allowedBetas).filter(b -> !b.isEmpty())
                    .ifPresent(beta -> headers.put("anthropic-beta", beta));
        }
        headers.putAll(config.headers());
        TraceHeaders.add(headers, exchange);
        return headers;
    }

    /** The client's beta flags this deployment accepts: all of them, unless config lists the allowed ones. */
    private String allowedBetas(String flags) {
        if (config.anthropicBeta() == null) return flags;
        var kept = new java.util.ArrayList<String>();
        for (String f : flags.split(",")) {
            String flag = f.trim();
            if (config.anthropicBeta().contains(flag)) kept.add(flag);
        }
        return String.join(",", kept);
    }

    /** A legacy completion of one prompt as a one-turn chat; several prompts at once are not supported. */
    private static LlmRequest asChat(LlmRequest req, Deployment deployment) {
        JsonNode input = req.input();
        if (input != null && input.isArray() && input.size() == 1) input = input.get(0);
        if (input == null || !input.isTextual()) {
            throw new ArbiterException.BadRequest("model " + deployment.model()
                    + " takes a single prompt string for completions (expected: a string or an array of one string)", "prompt");
        }
        return LlmRequest.builder(Operation.CHAT, req.format())
                .model(req.model())
                .stream(req.stream())
                .messages(List.of(Message.text(Role.USER, input.asText())))
                .maxTokens(req.maxTokens())
                .temperature(req.temperature())
                .topP(req.topP())
                .stop(req.stop())
                .user(req.user())
                .includeUsage(req.includeUsage())
                .build();
    }

    /** The answer with only its text, as a completion carries. */
    private static LlmResponse textOnly(LlmResponse r) {
        var choices = r.choices().stream()
                .map(c -> new Choice(c.index(), Message.text(Role.ASSISTANT, c.message().text()), c.finishReason(),
                        c.stopSequence(), c.logprobs()))
                .toList();
        return new LlmResponse(r.id(), r.model(), r.created(), choices, r.usage(), r.format(), r.raw());
    }
}
