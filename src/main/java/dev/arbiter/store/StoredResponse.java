package dev.arbiter.store;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.llm.Message;
import java.util.List;

/**
 * A Responses API answer Arbiter made (bridged from another backend) and keeps so that
 * {@code previous_response_id} can continue from it: the Response object as the client got it, the input items
 * it answered, and the whole conversation in the internal model (earlier turns, this input, this output).
 * {@code bytes} is its approximate size, for the store's byte bound.
 */
public record StoredResponse(String id, String caller, ObjectNode response, ArrayNode inputItems,
                             List<Message> conversation, long bytes) {
    public StoredResponse {
        conversation = List.copyOf(conversation);
    }
}
