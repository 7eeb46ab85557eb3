package dev.arbiter.llm;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/** One conversation turn: a role and its ordered parts. */
public record Message(Role role, List<Part> parts, String name, ObjectNode extra) {
    public Message {
        parts = parts == null ? List.of() : List.copyOf(parts);
        extra = extra == null ? Extras.none() : extra;
    }

    public static Message text(Role role, String text) {
        return new Message(role, List.of(Part.Text.of(text)), null, null);
    }

    /** The concatenated text parts. */
    public String text() {
        var sb = new StringBuilder();
        for (Part p : parts) if (p instanceof Part.Text t) sb.append(t.text());
        return sb.toString();
    }

    /** The parts of the given type, in order. */
    public <T extends Part> List<T> parts(Class<T> type) {
        var out = new ArrayList<T>();
        for (Part p : parts) if (type.isInstance(p)) out.add(type.cast(p));
        return out;
    }
}
