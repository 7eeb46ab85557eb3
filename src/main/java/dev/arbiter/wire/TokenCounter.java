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
 * tool schemas, and in a conversation every earlier message, resent with each turn. So {@link #countInput(LlmRequest,
 * String)} remembers counts by text, up to {@value #MEMO_CHARS} characters of texts in all (least recently used go
 * first); a text seen again costs a hash and a comparison instead of a tokenization. It changes no count. Each entry
 * belongs to one scope (the caller's id): a caller's counts are never another caller's hits, so no caller can time
 * whether someone else sent a text recently, as with the exact and semantic caches, which are per caller too.
 */
public final class TokenCounter {
    /** The total length of the texts whose counts are remembered: under 10 MB of heap. */
    static final int MEMO_CHARS = 4_000_000;
    /** A text longer than this is counted each time rather than evicting everything else. */
    private static final int MEMO_MAX_TEXT = MEMO_CHARS / 16;

    private static final class Holder {
        static final Encoding ENCODING = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE);
        static final Cache<Memo, Integer> MEMO = Caffeine.newBuilder().maximumWeight(MEMO_CHARS)
                .weigher((Memo m, Integer n) -> m.text.length() + m.scope.length()).build();
    }

    /** A remembered text and whose it is. */
    private record Memo(String scope, String text) {}

    private TokenCounter() {}

    /** The tokenizer's count of {@code text} (0 for null or empty). */
    public static int count(String text) {
        if (text == null || text.isEmpty()) return 0;
        return tokenize(text);
    }

    /** {@link #count(String)}, remembered for {@code scope} (null: not remembered). */
    static int count(String scope, String text) {
        if (text == null || text.isEmpty()) return 0;
        if (scope == null || text.length() > MEMO_MAX_TEXT) return tokenize(text);
        var key = new Memo(scope, text);
        Integer known = Holder.MEMO.getIfPresent(key);
        if (known != null) return known;
        int n = tokenize(text);
        Holder.MEMO.put(key, n);
        return n;
    }

    /** Whether {@code text}'s count is remembered for {@code scope} (for tests). */
    static boolean remembered(String scope, String text) {
        return Holder.MEMO.getIfPresent(new Memo(scope, text)) != null;
    }

    /** The tokenizer's count, never remembered. */
    static int tokenize(String text) {
        return Holder.ENCODING.countTokensOrdinary(text);
    }

    /** Input tokens of a request: messages (with OpenAI's per-message overhead), tool calls and tool schemas. */
    public static long countInput(LlmRequest req) {
        return countInput(req, null);
    }

    /** {@link #countInput(LlmRequest)}, with the texts' counts remembered for {@code scope} (a caller's id). */
    public static long countInput(LlmRequest req, String scope) {
        long n = 3;
        for (Message m : req.messages()) {
            n += 4;
            for (Part p : m.parts()) {
                n += switch (p) {
                    case Part.Text t -> count(scope, t.text());
                    case Part.ToolCall c -> count(scope, c.name()) + count(scope, c.arguments());
                    case Part.CustomToolCall c -> count(scope, c.name()) + count(scope, c.input());
                    case Part.ToolResult r -> count(scope, r.text());
                    case Part.Reasoning r -> count(scope, r.text());
                    case Part.Image i -> 85;
                    case Part.File f -> count(scope, f.text());
                    case Part.Opaque o -> 0;
                };
            }
        }
        for (Tool t : req.tools()) {
            n += count(scope, t.name()) + count(scope, t.description()) + (t.parameters() == null ? 0 : count(scope, Json.string(t.parameters())));
        }
        if (req.messages().isEmpty() && req.input() != null) {
            n += req.input().isTextual() ? count(scope, req.input().asText()) : count(scope, Json.string(req.input()));
        }
        return n;
    }
}
