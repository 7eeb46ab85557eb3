package dev.arbiter.wire;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
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
 *
 * <p>Counting is the costliest step of admitting a request under a token limit or a budget (about half a
 * microsecond a token on a 2-core test machine), and most of what a request sends was sent before: a system prompt,
 * tool schemas, and in a conversation every earlier message, resent with each turn. So counts are remembered by
 * text, up to {@value #MEMO_CHARS} characters of texts in all (least recently used go first); a text seen again
 * costs a hash and a comparison instead of a tokenization. The memo caches a pure function, shared by every gateway
 * in the JVM like the encoding itself: it changes no count. It is in memory only and never shown; what it does let
 * a caller observe is timing: a text that someone sent recently is counted faster, by microseconds per hundred
 * characters, which a caller who already knows the exact text could measure (as providers' prompt caches allow).
 */
public final class TokenCounter {
    /** The total length of the texts whose counts are remembered: under 10 MB of heap. */
    static final int MEMO_CHARS = 4_000_000;
    /** A text longer than this is counted each time rather than evicting everything else. */
    private static final int MEMO_MAX_TEXT = MEMO_CHARS / 16;

    private static final class Holder {
        static final Encoding ENCODING = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE);
        static final Cache<String, Integer> MEMO = Caffeine.newBuilder().maximumWeight(MEMO_CHARS)
                .weigher((String text, Integer n) -> text.length()).build();
    }

    private TokenCounter() {}

    public static int count(String text) {
        if (text == null || text.isEmpty()) return 0;
        if (text.length() > MEMO_MAX_TEXT) return tokenize(text);
        Integer known = Holder.MEMO.getIfPresent(text);
        if (known != null) return known;
        int n = tokenize(text);
        Holder.MEMO.put(text, n);
        return n;
    }

    /** The tokenizer's count, never remembered. */
    static int tokenize(String text) {
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
