package dev.arbiter.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.Frame;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.Operation;
import dev.arbiter.llm.SseEvent;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.reasoning.ReasoningEnvelope;
import dev.arbiter.responses.ResponsesCodec;
import dev.arbiter.responses.ResponsesStreamEncoder;
import dev.arbiter.store.ResponsesStage;
import dev.arbiter.wire.Json;
import dev.arbiter.wire.StreamEncoder;
import java.util.List;

/**
 * The OpenAI Responses endpoint's codec. The state (previous responses, stored answers) is the pipeline's
 * {@link ResponsesStage}: it expands requests on the way in and assigns a bridged answer its id, which this surface
 * encodes and hands back (the encoded answer, or the final {@code response.completed} of a stream) to be stored. An
 * answer passed through from an upstream's own /v1/responses is written as it came. A stored-response request
 * ({@code GET} or {@code DELETE /v1/responses/{id}}) is answered with the stage's body.
 */
final class ResponsesSurface implements Surface {
    private final ReasoningEnvelope reasoning;

    ResponsesSurface(ReasoningEnvelope reasoning) {
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

    @Override
    public ObjectNode encode(Reply.Complete reply, LlmRequest request, String requestId) {
        var response = reply.response();
        if (request.operation() == Operation.STORED_RESPONSE) return response.raw();
        var assigned = reply.attribute(ResponsesStage.ASSIGNED);
        if (assigned.isEmpty()) return ResponsesCodec.encodeResponse(response, request, null, 0, reasoning);
        ObjectNode out = ResponsesCodec.encodeResponse(response, request, assigned.get().id(), assigned.get().created(), reasoning);
        assigned.get().onEncoded().accept(out);
        return out;
    }

    @Override
    public StreamEncoder streamEncoder(Reply.Streaming reply, LlmRequest request, String requestId) {
        var assigned = reply.attribute(ResponsesStage.ASSIGNED)
                .orElseThrow(() -> new ArbiterException.Internal("a Responses stream without an assigned id"));
        return new Saving(new ResponsesStreamEncoder(request, assigned.id(), assigned.created(), reasoning), assigned);
    }

    /** Hands a bridged stream's final response, read from the {@code response.completed} event it encoded, to the stage. */
    private static final class Saving implements StreamEncoder {
        private final StreamEncoder inner;
        private final ResponsesStage.Assigned assigned;
        private boolean passedThrough;

        Saving(StreamEncoder inner, ResponsesStage.Assigned assigned) {
            this.inner = inner;
            this.assigned = assigned;
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
                    if (response instanceof ObjectNode o) assigned.onEncoded().accept(o);
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
