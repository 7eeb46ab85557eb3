package dev.arbiter.bench;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The catalog of scenarios, direct calls to the upstream and the same calls through the gateway. The bodies
 * name the model both the gateway ({@code bench/bench.yaml}) and the upstream know, so a direct call and its
 * gateway twin send the same bytes. A new scenario is one more line in {@link #all}; a gateway scenario names
 * its direct baseline, and a translating one is compared with the direct call the gateway itself makes.
 *
 * <p>The {@code *-chat-slow} scenarios go to a second, slow upstream (bench/run.sh: a mock that waits 50 ms
 * before each answer), as LLM traffic does: every request waits on the upstream, so the gateway's threads go idle
 * between a request and its answer. Through the gateway they use the model {@code bench-chat-slow}; through the
 * reference proxy the path prefix {@code /slow}, which it maps to that upstream.
 *
 * <p>A scenario may be selected at its own rate, {@code gateway-chat@200}: it and its baseline and reference twin
 * then run at 200 requests/s in their phases, whatever the run's rate, so low and high rates share one run.
 */
public final class Scenarios {
    static final String CHAT_MODEL = "bench-chat";
    static final String CLAUDE_MODEL = "bench-claude";
    static final String SLOW_MODEL = "bench-chat-slow";
    /** bench-chat with the response cache on (bench/bench.yaml): after the first request, every one is a hit. */
    static final String CACHED_MODEL = "bench-chat-cached";
    /** bench-chat with retries, the breaker and single-flight off (bench/bench.yaml): gateway-chat's resilience-off twin. */
    static final String BARE_MODEL = "bench-chat-bare";
    /** The path prefix under which the reference proxy reaches the slow upstream. */
    static final String SLOW_PREFIX = "/slow";
    /** The scenarios run when none are named. */
    public static final List<String> DEFAULT = List.of("direct-chat", "gateway-chat", "direct-chat-stream",
            "gateway-chat-stream", "direct-messages", "gateway-messages", "gateway-messages-via-chat");

    private static final String CHAT = "/v1/chat/completions";
    private static final String MESSAGES = "/v1/messages";
    private static final String RESPONSES = "/v1/responses";
    private static final Map<String, String> OPENAI = Map.of("authorization", "Bearer sk-bench-not-a-key");
    /** The static key of bench/bench.yaml (with limits in memory): gateway-chat-keyed. */
    private static final Map<String, String> KEYED = Map.of("authorization", "Bearer sk-bench-key-0123456789abcdef");
    private static final Map<String, String> ANTHROPIC = Map.of("x-api-key", "sk-ant-bench-not-a-key",
            "anthropic-version", "2023-06-01");
    private static final String SYSTEM = "You are a concise assistant that answers questions about distributed systems.";
    private static final String USER = "In two sentences, explain why open-loop load generators avoid coordinated omission.";

    private Scenarios() {}

    /**
     * Where the scenarios send their requests.
     *
     * @param direct the upstream's base URL
     * @param slowDirect the slow upstream's base URL (the gateway reaches it as model {@code bench-chat-slow})
     * @param reference the reference proxy's base URL, or null when there is none
     * @param traced a second gateway like the first but with OpenTelemetry tracing on (bench/run.sh: exporting to a
     *     loopback OTLP sink), for the {@code gateway-chat-traced} scenario; null when there is none
     * @param logged a gateway like the first but with the PostgreSQL request log on (bench/run.sh BENCH_LOGGED=1), for
     *     the {@code gateway-chat-logged} scenario; null when there is none
     * @param redis a gateway like the first but with {@code redis:} configured, so that the bench key's limits are kept in
     *     Redis (bench/run.sh BENCH_REDIS=1), for the {@code gateway-chat-keyed-redis} scenario; null when there is none
     */
    public record Endpoints(URI direct, URI slowDirect, URI gateway, URI reference, URI traced, URI logged, URI redis) {
        public Endpoints {
            java.util.Objects.requireNonNull(direct, "direct");
            java.util.Objects.requireNonNull(slowDirect, "slowDirect");
            java.util.Objects.requireNonNull(gateway, "gateway");
        }

        public Endpoints(URI direct, URI slowDirect, URI gateway, URI reference) {
            this(direct, slowDirect, gateway, reference, null, null, null);
        }

        public Endpoints(URI direct, URI slowDirect, URI gateway, URI reference, URI traced) {
            this(direct, slowDirect, gateway, reference, traced, null, null);
        }

        public Endpoints(URI direct, URI slowDirect, URI gateway, URI reference, URI traced, URI logged) {
            this(direct, slowDirect, gateway, reference, traced, logged, null);
        }
    }

    /**
     * Every scenario, in the order they run: each direct call before the calls compared with it. With a
     * reference proxy, the pass-through gateway scenarios get a twin through it.
     */
    public static List<Scenario> all(Endpoints at) {
        URI direct = at.direct(), gateway = at.gateway(), reference = at.reference();
        var s = new ArrayList<Scenario>();
        String chat = chat(false), chatStream = chat(true);
        String messages = messages(CLAUDE_MODEL, false), messagesStream = messages(CLAUDE_MODEL, true);
        s.add(direct("direct-chat", direct, CHAT, chat, OPENAI, false, "\"finish_reason\":\"stop\""));
        s.addAll(proxied("chat", gateway, reference, CHAT, chat, OPENAI, false, "\"finish_reason\":\"stop\"", "direct-chat"));
        // gateway-chat through a gateway with tracing on: read beside gateway-chat, what spans and their export cost
        if (at.traced() != null) {
            s.add(gateway("gateway-chat-traced", at.traced(), CHAT, chat, OPENAI, false, "\"finish_reason\":\"stop\"", "direct-chat"));
        }
        // gateway-chat through a gateway that writes every request's record to PostgreSQL (observe.request-log)
        if (at.logged() != null) {
            s.add(gateway("gateway-chat-logged", at.logged(), CHAT, chat, OPENAI, false, "\"finish_reason\":\"stop\"", "direct-chat"));
        }
        // an exact-cache hit answered end to end, compared with going to the mock (the issue's bound: at most gateway-chat's
        // added p50, i.e. a hit is faster than the upstream call it replaces)
        s.add(gateway("gateway-chat-cached", gateway, CHAT, chat(CACHED_MODEL, false), OPENAI, false, "\"finish_reason\":\"stop\"", "direct-chat"));
        // the resilience stages' cost on the happy path: gateway-chat (retries, breaker, single-flight on, the defaults)
        // against this twin with them off, in the same run
        s.add(gateway("gateway-chat-bare", gateway, CHAT, chat(BARE_MODEL, false), OPENAI, false, "\"finish_reason\":\"stop\"", "direct-chat"));
        // authentication with an API key and the key's rpm, tpm and concurrency limits in memory, beside gateway-chat
        s.add(gateway("gateway-chat-keyed", gateway, CHAT, chat(false), KEYED, false, "\"finish_reason\":\"stop\"", "direct-chat"));
        // the same key with its limits counted in Redis (one round trip per request to a local Redis), beside gateway-chat-keyed
        if (at.redis() != null) {
            s.add(gateway("gateway-chat-keyed-redis", at.redis(), CHAT, chat(false), KEYED, false, "\"finish_reason\":\"stop\"", "direct-chat"));
        }
        s.add(direct("direct-chat-stream", direct, CHAT, chatStream, OPENAI, true, "[DONE]"));
        s.addAll(proxied("chat-stream", gateway, reference, CHAT, chatStream, OPENAI, true, "[DONE]", "direct-chat-stream"));
        s.add(direct("direct-messages", direct, MESSAGES, messages, ANTHROPIC, false, "end_turn"));
        s.addAll(proxied("messages", gateway, reference, MESSAGES, messages, ANTHROPIC, false, "end_turn", "direct-messages"));
        s.add(gateway("gateway-messages-via-chat", gateway, MESSAGES, messages(CHAT_MODEL, false), ANTHROPIC, false, "end_turn", "direct-chat"));
        s.add(gateway("gateway-responses-via-chat", gateway, RESPONSES, responses(false), OPENAI, false, "\"status\":\"completed\"", "direct-chat"));
        s.add(gateway("gateway-responses-via-chat-stream", gateway, RESPONSES, responses(true), OPENAI, true, "response.completed", "direct-chat-stream"));
        s.add(direct("direct-messages-stream", direct, MESSAGES, messagesStream, ANTHROPIC, true, "message_stop"));
        s.addAll(proxied("messages-stream", gateway, reference, MESSAGES, messagesStream, ANTHROPIC, true, "message_stop", "direct-messages-stream"));
        s.add(gateway("gateway-messages-via-chat-stream", gateway, MESSAGES, messages(CHAT_MODEL, true), ANTHROPIC, true, "message_stop", "direct-chat-stream"));
        String slow = chat(SLOW_MODEL, false);
        s.add(direct("direct-chat-slow", at.slowDirect(), CHAT, slow, OPENAI, false, "\"finish_reason\":\"stop\""));
        if (reference != null) {
            s.add(new Scenario("reference-chat-slow", Scenario.Via.REFERENCE, reference, SLOW_PREFIX + CHAT, slow, OPENAI, false,
                    "\"finish_reason\":\"stop\"", "direct-chat-slow", ""));
        }
        s.add(new Scenario("gateway-chat-slow", Scenario.Via.GATEWAY, gateway, CHAT, slow, OPENAI, false, "\"finish_reason\":\"stop\"",
                "direct-chat-slow", reference == null ? "" : "reference-chat-slow"));
        return List.copyOf(s);
    }

    private static Scenario direct(String name, URI base, String path, String body, Map<String, String> headers, boolean stream, String expect) {
        return new Scenario(name, Scenario.Via.UPSTREAM, base, path, body, headers, stream, expect, "", "");
    }

    private static Scenario gateway(String name, URI base, String path, String body, Map<String, String> headers, boolean stream,
                                    String expect, String baseline) {
        return new Scenario(name, Scenario.Via.GATEWAY, base, path, body, headers, stream, expect, baseline, "");
    }

    /** {@code gateway-<suffix>} and, with a reference proxy, {@code reference-<suffix>}: the same request through each. */
    private static List<Scenario> proxied(String suffix, URI gateway, URI reference, String path, String body, Map<String, String> headers,
                                          boolean stream, String expect, String baseline) {
        if (reference == null) return List.of(gateway("gateway-" + suffix, gateway, path, body, headers, stream, expect, baseline));
        return List.of(
                new Scenario("reference-" + suffix, Scenario.Via.REFERENCE, reference, path, body, headers, stream, expect, baseline, ""),
                new Scenario("gateway-" + suffix, Scenario.Via.GATEWAY, gateway, path, body, headers, stream, expect, baseline, "reference-" + suffix));
    }

    /**
     * The named scenarios, each one's baseline added when missing and, with a reference proxy, each gateway
     * scenario's reference twin; a name may carry its own rate, {@code gateway-chat@200} (see {@link Scenario#atRate}).
     * In catalog order, the same scenario at several rates in the order the rates were named.
     *
     * @throws IllegalArgumentException naming an unknown scenario and listing the known ones, or a malformed rate
     */
    public static List<Scenario> select(List<String> names, Endpoints at) {
        var byName = new LinkedHashMap<String, Scenario>();
        for (Scenario s : all(at)) byName.put(s.name(), s);
        var rates = new java.util.LinkedHashSet<Double>();   // 0: the run's rate
        var wanted = new java.util.HashSet<String>();         // name@rate, or the plain name at the run's rate
        for (String raw : names) {
            String n = raw.trim();
            double rate = 0;
            int sep = n.indexOf('@');
            if (sep >= 0) {
                rate = parseRate(n.substring(sep + 1), n);
                n = n.substring(0, sep);
            }
            Scenario s = byName.get(n);
            if (s == null && at.reference() == null && n.startsWith("reference-")) {
                throw new IllegalArgumentException("scenario '" + n + "' needs --reference (the URL of a reference proxy)");
            }
            if (s == null && at.traced() == null && n.equals("gateway-chat-traced")) {
                throw new IllegalArgumentException("scenario '" + n + "' needs --traced-gateway (the URL of a gateway with tracing on)");
            }
            if (s == null && at.logged() == null && n.equals("gateway-chat-logged")) {
                throw new IllegalArgumentException("scenario '" + n + "' needs --logged-gateway (the URL of a gateway with the request log on)");
            }
            if (s == null && at.redis() == null && n.equals("gateway-chat-keyed-redis")) {
                throw new IllegalArgumentException("scenario '" + n + "' needs --redis-gateway (the URL of a gateway with redis: configured)");
            }
            if (s == null) throw new IllegalArgumentException("unknown scenario '" + n + "' (expected: one of " + String.join(", ", byName.keySet()) + ")");
            rates.add(rate);
            wanted.add(key(s.name(), rate));
            if (s.proxied()) wanted.add(key(s.baseline(), rate));
            if (!s.reference().isEmpty()) wanted.add(key(s.reference(), rate));
        }
        var out = new ArrayList<Scenario>();
        for (Scenario s : byName.values()) {
            for (double rate : rates) {
                if (wanted.contains(key(s.name(), rate))) out.add(rate == 0 ? s : s.atRate(rate));
            }
        }
        return List.copyOf(out);
    }

    private static String key(String name, double rate) {
        return name + "@" + rate;
    }

    private static double parseRate(String text, String name) {
        try {
            double r = Double.parseDouble(text);
            if (r > 0 && r <= Scenario.MAX_RATE) return r;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("rate in '" + name + "': " + text + " (expected: requests per second, e.g. gateway-chat@200)");
    }

    static String chat(boolean stream) {
        return chat(CHAT_MODEL, stream);
    }

    static String chat(String model, boolean stream) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"system\",\"content\":\"" + SYSTEM + "\"},"
                + "{\"role\":\"user\",\"content\":\"" + USER + "\"}],\"max_tokens\":128,\"temperature\":0.2"
                + (stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}" : "") + "}";
    }

    static String responses(boolean stream) {
        return "{\"model\":\"" + CHAT_MODEL + "\",\"instructions\":\"" + SYSTEM + "\",\"input\":\"" + USER + "\","
                + "\"max_output_tokens\":128,\"temperature\":0.2,\"store\":false" + (stream ? ",\"stream\":true" : "") + "}";
    }

    static String messages(String model, boolean stream) {
        return "{\"model\":\"" + model + "\",\"max_tokens\":128,\"temperature\":0.2,\"system\":\"" + SYSTEM + "\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"" + USER + "\"}]" + (stream ? ",\"stream\":true" : "") + "}";
    }
}
