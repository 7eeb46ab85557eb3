package dev.arbiter.api;

import dev.arbiter.responses.ResponsesCodec;
import dev.arbiter.responses.ResponsesOutput;
import dev.arbiter.responses.ResponsesStreamEncoder;
import dev.arbiter.wire.Fields;
import dev.arbiter.wire.Json;
import dev.arbiter.wire.StreamEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.Frame;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.LlmResponse;
import dev.arbiter.llm.Message;
import dev.arbiter.llm.Role;
import dev.arbiter.llm.SseEvent;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.pipeline.Caller;
import dev.arbiter.reasoning.ReasoningEnvelope;
import dev.arbiter.store.ResponseStore;
import dev.arbiter.store.StoredResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The OpenAI Responses endpoint, with state. A bridged answer (made from a chat or Anthropic backend) gets an
 * Arbiter id ({@code resp_arb_...}) and, unless the request says {@code store: false}, is kept so that
 * {@code previous_response_id} continues from it and an {@code item_reference} to one of its output items stands
 * for that item; both are expanded here before the pipeline, so every backend sees a stateless request. An
 * answer passed through from an upstream's own /v1/responses keeps the upstream's id, and that upstream keeps
 * its state; an id Arbiter does not know is then left for it to resolve. Stored answers belong to their
 * caller: another caller's id is not found.
 */
final class ResponsesSurface implements Surface {

    private final ResponseStore store;
    private final ReasoningEnvelope reasoning;

    ResponsesSurface(ResponseStore store, ReasoningEnvelope reasoning) {
        this.store = store;
        this.reasoning = reasoning;
    }

    @Override
    public LlmRequest decode(ObjectNode body) {
        return ResponsesCodec.decodeRequest(body);
    }

    @Override
    public boolean anthropicErrors() {
        return false;
    }

    static String newId() {
        return ResponsesOutput.ID_PREFIX + UUID.randomUUID().toString().replace("-", "");
    }

    private static boolean storing(LlmRequest req) {
        JsonNode s = req.extra().get("store");
        return s == null || !s.isBoolean() || s.asBoolean();
    }

    @Override
    public LlmRequest prepare(LlmRequest req, Caller caller) {
        req = resolveReferences(req, caller);
        JsonNode prev = req.extra().get("previous_response_id");
        if (prev == null || prev.isNull()) return req;
        if (!prev.isTextual()) throw Fields.invalidType("previous_response_id", "a string", prev);
        Optional<StoredResponse> stored = store.get(prev.asText(), caller);
        if (stored.isEmpty()) {
            if (prev.asText().startsWith(ResponsesOutput.ID_PREFIX)) throw notFound(prev.asText(), "previous_response_id");
            return req;
        }
        var messages = new ArrayList<Message>();
        for (Message m : req.messages()) if (isInstructions(m)) messages.add(m);
        messages.addAll(stored.get().conversation());
        for (Message m : req.messages()) if (!isInstructions(m)) messages.add(m);
        ObjectNode extra = req.extra().deepCopy();
        extra.remove("previous_response_id");
        return req.toBuilder().messages(messages).extra(extra).build();
    }

    /**
     * Input {@code item_reference}s to output items of a response Arbiter made and stored, replaced by those items
     * as a client with {@code store: false} sends them whole (the Vercel AI SDK refers to its earlier assistant
     * text and reasoning this way while {@code store} is on). A reference to an id Arbiter did not make is left
     * for the Responses upstream that made it; one to an Arbiter item no longer stored, or another caller's, is
     * not found, as at OpenAI.
     */
    private LlmRequest resolveReferences(LlmRequest req, Caller caller) {
        if (req.raw() == null || !(req.raw().get("input") instanceof ArrayNode input)) return req;
        ArrayNode resolved = null;
        for (int i = 0; i < input.size(); i++) {
            JsonNode item = input.get(i);
            boolean reference = "item_reference".equals(item.path("type").asText())
                    || !item.has("type") && !item.has("role") && item.has("id");
            String id = reference ? item.path("id").asText(null) : null;
            String responseId = id == null ? null : ResponsesOutput.responseIdOf(id);
            if (responseId == null) continue;
            JsonNode found = store.get(responseId, caller).map(s -> outputItem(s.response(), id)).orElse(null);
            if (found == null) {
                throw new ArbiterException.NotFound("Item with id '" + id + "' not found.", "input[" + i + "]", "not_found");
            }
            if (resolved == null) resolved = input.deepCopy();
            resolved.set(i, found.deepCopy());
        }
        if (resolved == null) return req;
        ObjectNode body = req.raw().deepCopy();
        body.set("input", resolved);
        return ResponsesCodec.decodeRequest(body);
    }

    private static JsonNode outputItem(ObjectNode response, String id) {
        for (JsonNode item : response.path("output")) if (id.equals(item.path("id").asText())) return item;
        return null;
    }

    private static boolean isInstructions(Message m) {
        return m.role() == Role.SYSTEM && m.extra().path(ResponsesCodec.INSTRUCTIONS).asBoolean(false);
    }

    static ArbiterException.NotFound notFound(String id, String param) {
        return new ArbiterException.NotFound("Response with id '" + id + "' not found.", param, "not_found");
    }

    @Override
    public ObjectNode encode(LlmResponse response, LlmRequest request, Caller caller, String requestId) {
        if (response.format() == WireFormat.OPENAI_RESPONSES && response.raw() != null) {
            return ResponsesCodec.encodeResponse(response, request, null, 0, reasoning);
        }
        String id = newId();
        ObjectNode out = ResponsesCodec.encodeResponse(response, request, id, System.currentTimeMillis() / 1000, reasoning);
        save(id, caller, request, out);
        return out;
    }

    @Override
    public StreamEncoder streamEncoder(LlmRequest request, Caller caller, String requestId) {
        String id = newId();
        return new Saving(new ResponsesStreamEncoder(request, id, System.currentTimeMillis() / 1000, reasoning), id, caller, request);
    }

    private void save(String id, Caller caller, LlmRequest request, ObjectNode response) {
        if (!storing(request)) return;
        var conversation = new ArrayList<Message>();
        for (Message m : request.messages()) if (!isInstructions(m)) conversation.add(m);
        conversation.add(ResponsesCodec.decodeResponse(response).firstMessage());
        ArrayNode items = inputItems(request);
        long bytes = Json.bytes(response).length + (long) Json.bytes(items).length * 2;
        store.put(new StoredResponse(id, caller.id(), response, items, conversation, bytes));
    }

    /** The request's input as items, each with an id, as {@code GET /v1/responses/{id}/input_items} lists them. */
    static ArrayNode inputItems(LlmRequest request) {
        ArrayNode out = Json.array();
        JsonNode input = request.raw() == null ? null : request.raw().get("input");
        if (input == null) return out;
        if (input.isTextual()) {
            ObjectNode m = out.addObject().put("id", "msg_" + UUID.randomUUID().toString().replace("-", ""))
                    .put("type", "message").put("role", "user").put("status", "completed");
            m.putArray("content").addObject().put("type", "input_text").put("text", input.asText());
            return out;
        }
        for (JsonNode item : input) {
            ObjectNode copy = ((ObjectNode) item).deepCopy();
            if (!copy.has("type")) copy.put("type", "message");
            if (!copy.has("id")) copy.put("id", "item_" + UUID.randomUUID().toString().replace("-", ""));
            out.add(copy);
        }
        return out;
    }

    Optional<StoredResponse> find(String id, Caller caller) {
        return store.get(id, caller);
    }

    boolean delete(String id, Caller caller) {
        return store.delete(id, caller);
    }

    /** Saves a bridged stream's final response, read from the {@code response.completed} event it encoded. */
    private final class Saving implements StreamEncoder {
        private final StreamEncoder inner;
        private final String id;
        private final Caller caller;
        private final LlmRequest request;
        private boolean passedThrough;

        Saving(StreamEncoder inner, String id, Caller caller, LlmRequest request) {
            this.inner = inner;
            this.id = id;
            this.caller = caller;
            this.request = request;
        }

        @Override
        public List<SseEvent> encode(Frame frame) {
            if (frame.format() == WireFormat.OPENAI_RESPONSES && frame.raw() != null) passedThrough = true;
            return watch(inner.encode(frame));
        }

        @Override
        public List<SseEvent> finish() {
            return watch(inner.finish());
        }

        private List<SseEvent> watch(List<SseEvent> events) {
            if (passedThrough) return events;
            for (SseEvent e : events) {
                if ("response.completed".equals(e.event()) || "response.incomplete".equals(e.event())) {
                    JsonNode response = Json.parse(e.data()).get("response");
                    if (response instanceof ObjectNode o) save(id, caller, request, o);
                }
            }
            return events;
        }

        @Override
        public List<SseEvent> error(ArbiterException e) {
            return inner.error(e);
        }

        @Override
        public SseEvent keepAlive() {
            return inner.keepAlive();
        }
    }
}
