package dev.arbiter.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.error.ErrorKind;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.LlmResponse;
import dev.arbiter.observe.TokenCounter;
import java.util.function.Function;

/**
 * One inbound endpoint's codec: how its requests decode, how answers and errors encode for its clients, and
 * which stream encoder speaks to them.
 */
record Surface(String name, Function<ObjectNode, LlmRequest> decoder, Encoder encoder, StreamEncoders streams,
               boolean anthropicErrors) {

    interface Encoder {
        ObjectNode encode(LlmResponse response, LlmRequest request);
    }

    interface StreamEncoders {
        StreamEncoder create(LlmRequest request, String requestId);
    }

    ObjectNode error(ArbiterException e) {
        ErrorKind kind = ErrorKind.of(e);
        return anthropicErrors ? ErrorBodies.anthropic(e, kind) : ErrorBodies.openAi(e, kind);
    }

    static final Surface CHAT = new Surface("chat completions", ChatCodec::decodeRequest,
            (r, req) -> ChatResponses.encode(r, req.model()),
            (req, id) -> new ChatStreamEncoder(id, req.model(), req.includeUsage(), false), false);

    static final Surface COMPLETIONS = new Surface("completions", ChatCodec::decodeCompletion,
            (r, req) -> ChatResponses.encodeCompletion(r, req.model()),
            (req, id) -> new ChatStreamEncoder(id, req.model(), req.includeUsage(), true), false);

    static final Surface EMBEDDINGS = new Surface("embeddings", ChatCodec::decodeEmbedding,
            (r, req) -> {
                if (r.raw() == null) throw new ArbiterException.Internal("embedding answer without a body");
                return r.raw();
            },
            (req, id) -> {
                throw new ArbiterException.BadRequest("embeddings cannot be streamed", "stream");
            }, false);

    static final Surface MESSAGES = new Surface("messages", MessagesCodec::decodeRequest,
            (r, req) -> MessagesCodec.encodeResponse(r, req.model()),
            (req, id) -> new MessagesStreamEncoder(req.model(), "msg_" + id.replace("-", ""), TokenCounter.countInput(req)), true);
}
