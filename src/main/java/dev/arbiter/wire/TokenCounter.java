package dev.arbiter.wire;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import dev.arbiter.wire.Json;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.Message;
import dev.arbiter.llm.Part;
import dev.arbiter.llm.Tool;

/**
 * Counts tokens with a real BPE tokenizer (jtokkit, o200k_base: GPT-4o's) for upstreams that report no usage
 * and for count estimates. Other model families tokenize differently; the count is an estimate and is
 * marked as one.
 */
public final class TokenCounter {
    private static final class Holder {
        static final Encoding ENCODING = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE);
    }

    private TokenCounter() {}

    public static int count(String text) {
        if (text == null || text.isEmpty()) return 0;
        return Holder.ENCODING.countTokensOrdinary(text);
    }

    /** Input tokens of a request: messages (with OpenAI's per-message overhead), tool calls and tool schemas. */
    public static long countInput(LlmRequest req) {
        long n = 3;
        for (Message m : req.messages()) {
            n += 4;
            for (Part p : m.parts()) {
                n += switch (p) {
                    case Part.Text t -> count(t.text());
                    case Part.ToolCall c -> count(c.name()) + count(c.arguments());
                    case Part.CustomToolCall c -> count(c.name()) + count(c.input());
                    case Part.ToolResult r -> count(r.text());
                    case Part.Reasoning r -> count(r.text());
                    case Part.Image i -> 85;
                    case Part.File f -> count(f.text());
                    case Part.Opaque o -> 0;
                };
            }
        }
        for (Tool t : req.tools()) {
            n += count(t.name()) + count(t.description()) + (t.parameters() == null ? 0 : count(Json.string(t.parameters())));
        }
        if (req.messages().isEmpty() && req.input() != null) {
            n += req.input().isTextual() ? count(req.input().asText()) : count(Json.string(req.input()));
        }
        return n;
    }
}
