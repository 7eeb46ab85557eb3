package dev.arbiter.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * A request in Arbiter's internal model: OpenAI's vocabulary, a superset of the three wire formats.
 *
 * <p>{@code format} is the wire format the request arrived in, {@code raw} the body exactly as parsed
 * (never mutated): a provider speaking that same format forwards {@code raw}, rewriting only what it must
 * (the model name), so nothing is lost; a provider speaking another format encodes the typed fields.
 * {@code extra} holds the top-level fields of {@code format} that the typed fields do not name.
 * {@code input} is the raw prompt of a legacy completion or the input of an embedding request.
 *
 * <p>Nullable components are optional wire fields the client did not send.
 */
public record LlmRequest(
        Operation operation,
        WireFormat format,
        String model,
        boolean stream,
        List<Message> messages,
        List<Tool> tools,
        ToolChoice toolChoice,
        Boolean parallelToolCalls,
        Integer maxTokens,
        Double temperature,
        Double topP,
        List<String> stop,
        JsonNode responseFormat,
        String reasoningEffort,
        Integer thinkingBudget,
        String user,
        boolean includeUsage,
        JsonNode input,
        ObjectNode extra,
        ObjectNode raw) {

    public LlmRequest {
        messages = messages == null ? List.of() : List.copyOf(messages);
        tools = tools == null ? List.of() : List.copyOf(tools);
        stop = stop == null ? List.of() : List.copyOf(stop);
        extra = extra == null ? Extras.none() : extra;
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    public static Builder builder(Operation operation, WireFormat format) {
        return new Builder(operation, format);
    }

    public LlmRequest withModel(String newModel) {
        return toBuilder().model(newModel).build();
    }

    /** Builder for {@link LlmRequest}; every setter returns the builder. */
    public static final class Builder {
        private Operation operation;
        private final WireFormat format;
        private String model;
        private boolean stream;
        private List<Message> messages = List.of();
        private List<Tool> tools = List.of();
        private ToolChoice toolChoice;
        private Boolean parallelToolCalls;
        private Integer maxTokens;
        private Double temperature;
        private Double topP;
        private List<String> stop = List.of();
        private JsonNode responseFormat;
        private String reasoningEffort;
        private Integer thinkingBudget;
        private String user;
        private boolean includeUsage;
        private JsonNode input;
        private ObjectNode extra;
        private ObjectNode raw;

        private Builder(Operation operation, WireFormat format) {
            this.operation = operation;
            this.format = format;
        }

        private Builder(LlmRequest r) {
            this(r.operation, r.format);
            model = r.model;
            stream = r.stream;
            messages = r.messages;
            tools = r.tools;
            toolChoice = r.toolChoice;
            parallelToolCalls = r.parallelToolCalls;
            maxTokens = r.maxTokens;
            temperature = r.temperature;
            topP = r.topP;
            stop = r.stop;
            responseFormat = r.responseFormat;
            reasoningEffort = r.reasoningEffort;
            thinkingBudget = r.thinkingBudget;
            user = r.user;
            includeUsage = r.includeUsage;
            input = r.input;
            extra = r.extra;
            raw = r.raw;
        }

        public Builder operation(Operation v) { operation = v; return this; }
        public Builder model(String v) { model = v; return this; }
        public Builder stream(boolean v) { stream = v; return this; }
        public Builder messages(List<Message> v) { messages = v; return this; }
        public Builder tools(List<Tool> v) { tools = v; return this; }
        public Builder toolChoice(ToolChoice v) { toolChoice = v; return this; }
        public Builder parallelToolCalls(Boolean v) { parallelToolCalls = v; return this; }
        public Builder maxTokens(Integer v) { maxTokens = v; return this; }
        public Builder temperature(Double v) { temperature = v; return this; }
        public Builder topP(Double v) { topP = v; return this; }
        public Builder stop(List<String> v) { stop = v; return this; }
        public Builder responseFormat(JsonNode v) { responseFormat = v; return this; }
        public Builder reasoningEffort(String v) { reasoningEffort = v; return this; }
        public Builder thinkingBudget(Integer v) { thinkingBudget = v; return this; }
        public Builder user(String v) { user = v; return this; }
        public Builder includeUsage(boolean v) { includeUsage = v; return this; }
        public Builder input(JsonNode v) { input = v; return this; }
        public Builder extra(ObjectNode v) { extra = v; return this; }
        public Builder raw(ObjectNode v) { raw = v; return this; }

        public LlmRequest build() {
            return new LlmRequest(operation, format, model, stream, messages, tools, toolChoice, parallelToolCalls,
                    maxTokens, temperature, topP, stop, responseFormat, reasoningEffort, thinkingBudget, user,
                    includeUsage, input, extra, raw);
        }
    }
}
