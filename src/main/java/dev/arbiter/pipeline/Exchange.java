package dev.arbiter.pipeline;

import dev.arbiter.llm.LlmRequest;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One request as it flows through the stages: immutable; a stage that changes something passes a new
 * exchange to the next; all copies share one {@link Trace}, where stages record what they did. {@code headers} are the client's request headers (lower-case names) that stages and
 * providers may need (e.g. {@code anthropic-version}); the client's own credentials are never among them.
 */
public final class Exchange {
    private final String requestId;
    private final Caller caller;
    private final LlmRequest request;
    private final Deadline deadline;
    private final Map<String, String> headers;
    private final Map<Attribute<?>, Object> attributes;
    private final Trace trace;

    private Exchange(String requestId, Caller caller, LlmRequest request, Deadline deadline,
                     Map<String, String> headers, Map<Attribute<?>, Object> attributes, Trace trace) {
        this.trace = trace;
        this.requestId = requestId;
        this.caller = caller;
        this.request = request;
        this.deadline = deadline;
        this.headers = headers;
        this.attributes = attributes;
    }

    public static Exchange of(String requestId, Caller caller, LlmRequest request, Deadline deadline,
                              Map<String, String> headers) {
        return new Exchange(requestId, caller, request, deadline, Map.copyOf(headers), Map.of(), new Trace(deadline.clock()));
    }

    /** The request's trace: one for the request, shared by every copy of its exchange. */
    public Trace trace() {
        return trace;
    }

    public String requestId() {
        return requestId;
    }

    public Caller caller() {
        return caller;
    }

    public LlmRequest request() {
        return request;
    }

    public Deadline deadline() {
        return deadline;
    }

    public Map<String, String> headers() {
        return headers;
    }

    public Optional<String> header(String lowerCaseName) {
        return Optional.ofNullable(headers.get(lowerCaseName));
    }

    public <T> Optional<T> attribute(Attribute<T> key) {
        Object v = attributes.get(key);
        return v == null ? Optional.empty() : Optional.of(key.cast(v));
    }

    public <T> Exchange with(Attribute<T> key, T value) {
        var copy = new HashMap<>(attributes);
        copy.put(key, value);
        return new Exchange(requestId, caller, request, deadline, headers, Map.copyOf(copy), trace);
    }

    public Exchange withRequest(LlmRequest newRequest) {
        return new Exchange(requestId, caller, newRequest, deadline, headers, attributes, trace);
    }

    public Exchange withCaller(Caller newCaller) {
        return new Exchange(requestId, newCaller, request, deadline, headers, attributes, trace);
    }
}
