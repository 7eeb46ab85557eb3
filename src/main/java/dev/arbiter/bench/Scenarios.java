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
 */
public final class Scenarios {
    static final String CHAT_MODEL = "bench-chat";
    static final String CLAUDE_MODEL = "bench-claude";
    /** The scenarios run when none are named. */
    public static final List<String> DEFAULT = List.of("direct-chat", "gateway-chat", "direct-chat-stream",
            "gateway-chat-stream", "direct-messages", "gateway-messages", "gateway-messages-via-chat");

    private static final String CHAT = "/v1/chat/completions";
    private static final String MESSAGES = "/v1/messages";
    private static final String RESPONSES = "/v1/responses";
    private static final Map<String, String> OPENAI = Map.of("authorization", "Bearer sk-bench-not-a-key");
    private static final Map<String, String> ANTHROPIC = Map.of("x-api-key", "sk-ant-bench-not-a-key",
            "anthropic-version", "2023-06-01");
    private static final String SYSTEM = "You are a concise assistant that answers questions about distributed systems.";
    private static final String USER = "In two sentences, explain why open-loop load generators avoid coordinated omission.";

    private Scenarios() {}

    /**
     * Every scenario, in the order they run: each direct call before the calls compared with it. With a
     * {@code reference} proxy (may be null), the pass-through gateway scenarios get a twin through it.
     */
    public static List<Scenario> all(URI direct, URI gateway, URI reference) {
        var s = new ArrayList<Scenario>();
        String chat = chat(false), chatStream = chat(true);
        String messages = messages(CLAUDE_MODEL, false), messagesStream = messages(CLAUDE_MODEL, true);
        s.add(direct("direct-chat", direct, CHAT, chat, OPENAI, false, "\"finish_reason\":\"stop\""));
        s.addAll(proxied("chat", gateway, reference, CHAT, chat, OPENAI, false, "\"finish_reason\":\"stop\"", "direct-chat"));
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
     * The named scenarios in catalog order, each one's baseline added when missing and, with a reference proxy,
     * each gateway scenario's reference twin.
     *
     * @throws IllegalArgumentException naming an unknown scenario and listing the known ones
     */
    public static List<Scenario> select(List<String> names, URI direct, URI gateway, URI reference) {
        var byName = new LinkedHashMap<String, Scenario>();
        for (Scenario s : all(direct, gateway, reference)) byName.put(s.name(), s);
        var wanted = new java.util.HashSet<String>();
        for (String n : names) {
            Scenario s = byName.get(n.trim());
            if (s == null && reference == null && n.trim().startsWith("reference-")) {
                throw new IllegalArgumentException("scenario '" + n.trim() + "' needs --reference (the URL of a reference proxy)");
            }
            if (s == null) throw new IllegalArgumentException("unknown scenario '" + n.trim() + "' (expected: one of " + String.join(", ", byName.keySet()) + ")");
            wanted.add(s.name());
            if (s.proxied()) wanted.add(s.baseline());
            if (!s.reference().isEmpty()) wanted.add(s.reference());
        }
        return byName.values().stream().filter(s -> wanted.contains(s.name())).toList();
    }

    static String chat(boolean stream) {
        return "{\"model\":\"" + CHAT_MODEL + "\",\"messages\":[{\"role\":\"system\",\"content\":\"" + SYSTEM + "\"},"
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
