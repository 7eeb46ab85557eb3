package dev.arbiter.cache;

import dev.arbiter.cache.semantic.SemanticCache;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.Message;
import dev.arbiter.llm.Operation;
import dev.arbiter.llm.Part;
import dev.arbiter.llm.RequestKey;
import dev.arbiter.llm.Role;
import java.util.List;
import java.util.Optional;

/**
 * What a chat request is looked up by, by meaning: the text of its final user turn ({@code prompt}, the only part
 * embedded), and the partition that everything else must match exactly. The partition hashes the embedder's name,
 * the cache key's scope (caller or namespace) and logical model, and the {@link RequestKey} of the request without
 * its final user turn (system prompt, earlier turns, tools, tool choice, response format, sampling parameters and
 * every other field the exact key covers, with the same whitespace and case options), so that a stored prompt can
 * answer a new one only within one caller, one model and one conversation.
 *
 * <p>Only a chat whose last message is a user turn made of text has one: a turn with an image, a file or a tool
 * result is cached exactly only.
 */
record SemanticContext(String partition, String prompt) {
    static Optional<SemanticContext> of(LlmRequest request, CacheKey key, RequestKey.Options options, String embedder) {
        if (request.operation() != Operation.CHAT || request.messages().isEmpty()) return Optional.empty();
        List<Message> messages = request.messages();
        Message last = messages.getLast();
        if (last.role() != Role.USER || last.parts().isEmpty()) return Optional.empty();
        var prompt = new StringBuilder();
        for (Part p : last.parts()) {
            if (!(p instanceof Part.Text t)) return Optional.empty();
            if (!prompt.isEmpty()) prompt.append('\n');
            prompt.append(t.text());
        }
        LlmRequest context = request.toBuilder().messages(messages.subList(0, messages.size() - 1)).build();
        String contextKey = RequestKey.of(context, key.scope(), options).hex();
        String partition = SemanticCache.partition(List.of(embedder, key.scope(), key.model(), contextKey, String.valueOf(last.name())));
        return Optional.of(new SemanticContext(partition, prompt.toString()));
    }
}
