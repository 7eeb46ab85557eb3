package dev.arbiter.llm;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The fields of a wire object that the internal model does not name, kept as they came so that
 * nothing a client sent is lost. Extras belong to the format they were read from: an encoder writes
 * them back only toward that same format.
 */
public final class Extras {
    private static final ObjectNode EMPTY = JsonNodeFactory.instance.objectNode();

    private Extras() {}

    /** A shared empty object; never mutate it. */
    public static ObjectNode none() {
        return EMPTY;
    }

    /** Copies {@code extra}'s fields into {@code target} without replacing fields already set there. */
    public static void mergeInto(ObjectNode extra, ObjectNode target) {
        if (extra == null || extra.isEmpty()) return;
        var it = extra.fields();
        while (it.hasNext()) {
            var e = it.next();
            if (!target.has(e.getKey())) target.set(e.getKey(), e.getValue().deepCopy());
        }
    }
}
