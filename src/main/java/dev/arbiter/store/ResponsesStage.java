package dev.arbiter.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.LlmResponse;
import dev.arbiter.llm.Message;
import dev.arbiter.llm.Operation;
import dev.arbiter.llm.Role;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.pipeline.Attribute;
import dev.arbiter.pipeline.Caller;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.pipeline.Stage;
import dev.arbiter.responses.ResponsesCodec;
import dev.arbiter.responses.ResponsesOutput;
import dev.arbiter.wire.Fields;
import dev.arbiter.wire.Json;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The OpenAI Responses API's state, inside the pipeline so that identification, admission and observation see it.
 * On the way in, a Responses request's {@code previous_response_id} and its {@code item_reference}s to items of a
 * response Arbiter made are expanded from the caller's stored responses, so every backend sees a stateless request.
 * On the way out, a bridged answer (made from a chat or Anthropic backend) gets an Arbiter id ({@code resp_arb_...})
 * and, unless the request says {@code store: false}, is kept once the edge has encoded it (the edge calls
 * {@link Assigned#onEncoded}, so the answer is encoded once). An answer passed through from an upstream's own
 * /v1/responses keeps the upstream's id, and that upstream keeps its state; an id Arbiter does not know is left
 * for it to resolve. Reading, listing the input items of and deleting a stored response
 * ({@link Operation#STORED_RESPONSE}) are answered here. Stored answers belong to their caller: another caller's
 * id is not found.
 */
public final class ResponsesStage implements Stage {
    /** What the stage assigned to a bridged Responses answer: its id, its creation time, and where its encoding goes. */
    public record Assigned(String id, long created, Consumer<ObjectNode> onEncoded) {}

    /** On a reply to a Responses request that Arbiter answers under its own id. */
    public static final Attribute<Assigned> ASSIGNED = Attribute.of("responses-assigned", Assigned.class);

    private final ResponseStore store;
    private final InstantSource clock;

    public ResponsesStage(ResponseStore store, InstantSource clock) {
        this.store = store;
        this.clock = clock;
    }

    @Override
    public String name() {
        return "responses";
    }

    /** A request for a stored response: {@code action} is {@code get}, {@code input_items} or {@code delete}. */
    public static LlmRequest storedResponseRequest(String responseId, String action, ObjectNode query) {
        ObjectNode extra = query.deepCopy().put("response_id", responseId).put("action", action);
        return LlmRequest.builder(Operation.STORED_RESPONSE, WireFormat.OPENAI_RESPONSES).extra(extra).build();
    }

    @Override
    public Reply apply(Exchange exchange, Chain next) {
        LlmRequest req = exchange.request();
        if (req.format() != WireFormat.OPENAI_RESPONSES) return next.proceed(exchange);
        Caller caller = exchange.caller();
        if (req.operation() == Operation.STORED_RESPONSE) return stored(req, caller);
        LlmRequest expanded = expand(req, caller);
        Reply reply = next.proceed(expanded == req ? exchange : exchange.withRequest(expanded));
        if (reply instanceof Reply.Complete c && c.response().format() == WireFormat.OPENAI_RESPONSES && c.response().raw() != null) {
            return reply;   // the upstream's own Responses answer, under its own id
        }
        String id = ResponsesOutput.ID_PREFIX + UUID.randomUUID().toString().replace("-", "");
        Consumer<ObjectNode> onEncoded = storing(expanded) ? encoded -> save(id, caller, expanded, encoded) : encoded -> { };
        return reply.withAttribute(ASSIGNED, new Assigned(id, clock.instant().getEpochSecond(), onEncoded));
    }

    private static boolean storing(LlmRequest req) {
        JsonNode s = req.extra().get("store");
        return s == null || !s.isBoolean() || s.asBoolean();
    }

    LlmRequest expand(LlmRequest req, Caller caller) {
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

    public static ArbiterException.NotFound notFound(String id, String param) {
        return new ArbiterException.NotFound("Response with id '" + id + "' not found.", param, "not_found");
    }

    private void save(String id, Caller caller, LlmRequest request, ObjectNode response) {
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

    /** A stored-response request answered from the store: the body to send is the response's {@code raw}. */
    private Reply stored(LlmRequest req, Caller caller) {
        String id = req.extra().path("response_id").asText();
        String action = req.extra().path("action").asText();
        ObjectNode body;
        if (action.equals("delete")) {
            if (!store.delete(id, caller)) throw notFound(id, "response_id");
            body = Json.object().put("id", id).put("object", "response").put("deleted", true);
        } else {
            StoredResponse s = store.get(id, caller).orElseThrow(() -> notFound(id, "response_id"));
            body = action.equals("input_items") ? InputItemsPage.of(s.inputItems(), req.extra()) : s.response();
        }
        return new Reply.Complete(new LlmResponse(id, null, 0, List.of(), null, WireFormat.OPENAI_RESPONSES, body), null);
    }
}
