package dev.arbiter.api;

import dev.arbiter.wire.TokenCounter;
import dev.arbiter.chat.ChatCodec;
import dev.arbiter.chat.ChatResponses;
import dev.arbiter.chat.ChatStreamEncoder;
import dev.arbiter.messages.MessagesCodec;
import dev.arbiter.messages.MessagesStreamEncoder;
import dev.arbiter.wire.ErrorBodies;
import dev.arbiter.wire.StreamEncoder;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.error.ErrorKind;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.LlmResponse;
import dev.arbiter.wire.TokenCounter;
import dev.arbiter.pipeline.Reply;
import java.util.function.Function;

/**
 * One inbound endpoint's codec: how its requests decode, how answers and errors encode for its clients, and
 * which stream encoder speaks to them. Stateless: what a stage decided about the answer (e.g. the id the Responses
 * stage assigned) comes on the reply.
 */
interface Surface {
    LlmRequest decode(ObjectNode body);

    ObjectNode encode(Reply.Complete reply, LlmRequest request, String requestId);

    StreamEncoder streamEncoder(Reply.Streaming reply, LlmRequest request, String requestId);

    boolean anthropicErrors();

    /** The error body for this endpoint's clients; Anthropic's names the request ({@code request_id}). */
    default ObjectNode error(ArbiterException e, String requestId) {
        ErrorKind kind = ErrorKind.of(e);
        return anthropicErrors() ? ErrorBodies.anthropic(e, kind, requestId) : ErrorBodies.openAi(e, kind);
    }

    /** A stateless endpoint made of functions. */
    record Simple(Function<ObjectNode, LlmRequest> decoder, Encoder encoder, StreamEncoders streams, boolean anthropicErrors)
            implements Surface {
        @Override
        public LlmRequest decode(ObjectNode body) {
            return decoder.apply(body);
        }

        @Override
        public ObjectNode encode(Reply.Complete reply, LlmRequest request, String requestId) {
            return encoder.encode(reply.response(), request);
        }

        @Override
        public StreamEncoder streamEncoder(Reply.Streaming reply, LlmRequest request, String requestId) {
            return streams.create(request, requestId);
        }
    }

    interface Encoder {
        ObjectNode encode(LlmResponse response, LlmRequest request);
    }

    interface StreamEncoders {
        StreamEncoder create(LlmRequest request, String requestId);
    }

    Surface CHAT = new Simple(ChatCodec::decodeRequest,
            (r, req) -> ChatResponses.encode(r, req.model()),
            (req, id) -> new ChatStreamEncoder(id, req.model(), req.includeUsage(), false), false);

    Surface COMPLETIONS = new Simple(ChatCodec::decodeCompletion,
            (r, req) -> ChatResponses.encodeCompletion(r, req.model()),
            (req, id) -> new ChatStreamEncoder(id, req.model(), req.includeUsage(), true), false);

    Surface EMBEDDINGS = new Simple(ChatCodec::decodeEmbedding,
            (r, req) -> {
                if (r.raw() == null) throw new ArbiterException.Internal("embedding answer without a body");
                return r.raw();
            },
            (req, id) -> {
                throw new ArbiterException.BadRequest("embeddings cannot be streamed", "stream");
            }, false);

    /**
     * Anthropic's {@code count_tokens}: a Messages request (with {@code max_tokens} defaulted, as the endpoint does
     * not need it) whose answer is the pipeline's {@code {"input_tokens": n}}.
     */
    Surface COUNT_TOKENS = new Simple(body -> {
                if (!body.has("max_tokens")) body.put("max_tokens", 1);
                return MessagesCodec.decodeRequest(body).toBuilder().operation(dev.arbiter.llm.Operation.COUNT_TOKENS).build();
            },
            (r, req) -> r.raw(),
            (req, id) -> {
                throw new ArbiterException.Internal("a token count is not streamed");
            }, true);

    Surface MESSAGES = new Simple(MessagesCodec::decodeRequest,
            (r, req) -> MessagesCodec.encodeResponse(r, req.model()),
            (req, id) -> new MessagesStreamEncoder(req.model(), "msg_" + id.replace("-", ""),
                    () -> TokenCounter.countInput(req)), true);
}
