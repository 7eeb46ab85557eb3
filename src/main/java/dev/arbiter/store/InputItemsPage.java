package dev.arbiter.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.error.Untrusted;
import dev.arbiter.wire.Json;
import java.util.ArrayList;
import java.util.Collections;

/**
 * One page of a stored response's input items, as OpenAI pages them: {@code limit} 1-100 (default 20), {@code order}
 * {@code desc} (the default: newest first) or {@code asc}, and {@code after} an item id; bad values are 400s naming
 * the parameter.
 */
public final class InputItemsPage {
    private InputItemsPage() {}

    /** The page of {@code items} that {@code query} (the request's query parameters, as text) asks for. */
    static ObjectNode of(ArrayNode items, ObjectNode query) {
        int limit = 20;
        if (query.hasNonNull("limit")) {
            String v = query.get("limit").asText();
            try {
                limit = Integer.parseInt(v.trim());
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > 100) {
                throw new ArbiterException.BadRequest("Invalid 'limit': '" + Untrusted.text(v) + "' (expected: an integer from 1 to 100)",
                        "limit", "invalid_value");
            }
        }
        String order = query.hasNonNull("order") ? query.get("order").asText() : "desc";
        if (!order.equals("asc") && !order.equals("desc")) {
            throw new ArbiterException.BadRequest("Invalid 'order': '" + Untrusted.text(order) + "' (expected: 'asc' or 'desc')",
                    "order", "invalid_value");
        }
        var ordered = new ArrayList<JsonNode>();
        items.forEach(ordered::add);
        if (order.equals("desc")) Collections.reverse(ordered);
        int from = 0;
        if (query.hasNonNull("after")) {
            String after = query.get("after").asText();
            from = -1;
            for (int i = 0; i < ordered.size(); i++) {
                if (ordered.get(i).path("id").asText().equals(after)) from = i + 1;
            }
            if (from < 0) {
                throw new ArbiterException.BadRequest("Invalid 'after': no input item with id '" + Untrusted.text(after) + "'",
                        "after", "invalid_value");
            }
        }
        int to = Math.min(ordered.size(), from + limit);
        ObjectNode body = Json.object().put("object", "list");
        ArrayNode data = body.putArray("data");
        ordered.subList(from, to).forEach(data::add);
        return firstAndLast(body, data).put("has_more", to < ordered.size());
    }

    /** A list body's {@code first_id} and {@code last_id} (null when {@code data} is empty), as both APIs page lists. */
    public static ObjectNode firstAndLast(ObjectNode body, ArrayNode data) {
        if (data.isEmpty()) {
            body.putNull("first_id");
            body.putNull("last_id");
        } else {
            body.put("first_id", data.get(0).path("id").asText());
            body.put("last_id", data.get(data.size() - 1).path("id").asText());
        }
        return body;
    }
}
