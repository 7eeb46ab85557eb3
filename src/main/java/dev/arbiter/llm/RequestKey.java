package dev.arbiter.llm;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The identity of a request's answer: SHA-256 over a canonical form of everything that changes what a model would
 * answer, so that two requests with the same key may share one answer (single-flight deduplication, the exact
 * cache). Computed on the internal model, so the same conversation sent as chat completions, Messages or Responses
 * has the same key; field order and JSON formatting never change it.
 *
 * <p>In the key: the scope (the caller, or a namespace), the operation, the logical model, every message (role,
 * name, each part's content; tool calls and results with their ids), tools, tool choice, parallel tool calls,
 * response format, temperature, top_p, max tokens, stop, reasoning effort and budget, the raw input of completions
 * and embeddings, and every other top-level field the client sent ({@code seed}, {@code n}, {@code top_k}, ...)
 * except those that never change the answer: {@link #IGNORED_FIELDS} ({@code stream}, {@code stream_options},
 * {@code user}, {@code metadata}, ...). Prompt-caching markers ({@code cache_control}) are left out wherever they
 * appear, and so is a message's format bookkeeping ({@link Message#extra()}). Reasoning from earlier turns counts by its text, not by the backend's signature or ciphertext.
 *
 * <p>The form is written straight into the digest as tagged, length-prefixed values (no JSON text is built), which
 * makes it unambiguous without escaping and costs one pass over the request. Written by hand: no library offers a
 * canonical digest of Jackson trees with excluded fields.
 */
public final class RequestKey {
    /** Top-level fields that never change the answer. */
    public static final Set<String> IGNORED_FIELDS = Set.of("stream", "stream_options", "user", "metadata", "store",
            "prompt_cache_key", "safety_identifier", "service_tier", "background", "include");
    private static final String CACHE_CONTROL = "cache_control";
    private static final com.fasterxml.jackson.databind.ObjectMapper ARGUMENTS = new com.fasterxml.jackson.databind.ObjectMapper();

    private final byte[] digest;

    private RequestKey(byte[] digest) {
        this.digest = digest;
    }

    /**
     * Options of the canonical form.
     *
     * @param normalizeWhitespace text content compared with runs of whitespace as one space, trimmed
     * @param caseFold            text content compared case-insensitively
     */
    public record Options(boolean normalizeWhitespace, boolean caseFold) {
        public static final Options EXACT = new Options(false, false);
    }

    /** The key of {@code request} within {@code scope} (a caller id or a namespace; never empty). */
    public static RequestKey of(LlmRequest request, String scope) {
        return of(request, scope, Options.EXACT);
    }

    public static RequestKey of(LlmRequest request, String scope, Options options) {
        if (scope == null || scope.isEmpty()) throw new IllegalArgumentException("request key scope must not be empty");
        var w = new Writer(options);
        w.str(scope);
        w.str(request.operation().name());
        w.str(request.model());
        w.tag('M').count(request.messages().size());
        for (Message m : request.messages()) {
            w.str(m.role().name()).str(m.name());
            w.count(m.parts().size());
            for (Part p : m.parts()) w.part(p);
            // a message's extra holds its wire format's bookkeeping (e.g. that a Responses system message came as
            // `instructions`), not content: left out, so one conversation has one key in every format
        }
        w.tag('T').count(request.tools().size());
        for (Tool t : request.tools()) {
            w.str(t.type()).str(t.name()).str(t.description()).json(t.parameters()).bool(t.strict()).json(t.extra());
        }
        w.tag('C');
        switch (request.toolChoice()) {
            case null -> w.str(null);
            case ToolChoice.Auto a -> w.str("auto");
            case ToolChoice.None n -> w.str("none");
            case ToolChoice.Required r -> w.str("required");
            case ToolChoice.Named n -> w.str("named").str(n.name());
        }
        w.bool(request.parallelToolCalls()).json(request.responseFormat());
        w.num(request.temperature()).num(request.topP()).num(request.maxTokens() == null ? null : request.maxTokens().doubleValue());
        w.count(request.stop().size());
        for (String s : request.stop()) w.str(s);
        w.str(request.reasoningEffort()).num(request.thinkingBudget() == null ? null : request.thinkingBudget().doubleValue());
        w.json(request.input());
        w.tag('X');
        var names = new ArrayList<String>();
        request.extra().fieldNames().forEachRemaining(n -> {
            if (!IGNORED_FIELDS.contains(n)) names.add(n);
        });
        names.sort(null);
        w.count(names.size());
        for (String n : names) w.str(n).json(request.extra().get(n));
        return new RequestKey(w.digest());
    }

    /** The key whose {@link #hex()} is {@code hex} (as stored beside an answer); rejects anything else. */
    public static RequestKey ofHex(String hex) {
        if (hex == null || hex.length() != 64) throw new IllegalArgumentException("request key: 64 hex digits expected");
        return new RequestKey(HexFormat.of().parseHex(hex));
    }

    /** The 32 bytes of the digest (a copy). */
    public byte[] bytes() {
        return digest.clone();
    }

    /** The digest in lower-case hex (64 characters). */
    public String hex() {
        return HexFormat.of().formatHex(digest);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RequestKey k && MessageDigest.isEqual(digest, k.digest);
    }

    @Override
    public int hashCode() {
        return (digest[0] & 0xff) << 24 | (digest[1] & 0xff) << 16 | (digest[2] & 0xff) << 8 | (digest[3] & 0xff);
    }

    @Override
    public String toString() {
        return "RequestKey[" + hex().substring(0, 16) + "]";
    }

    /** Writes tagged, length-prefixed values into a SHA-256 digest. */
    private static final class Writer {
        private final MessageDigest md;
        private final Options options;
        private final byte[] buf = new byte[8];

        Writer(Options options) {
            this.options = options;
            try {
                this.md = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 is part of every JDK", e);
            }
        }

        byte[] digest() {
            return md.digest();
        }

        Writer tag(char c) {
            md.update((byte) c);
            return this;
        }

        Writer count(int n) {
            return tag('#').int64(n);
        }

        private Writer int64(long v) {
            for (int i = 0; i < 8; i++) buf[i] = (byte) (v >>> (56 - 8 * i));
            md.update(buf, 0, 8);
            return this;
        }

        Writer str(String s) {
            if (s == null) return tag('0');
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            tag('s').int64(b.length);
            md.update(b);
            return this;
        }

        /** Message text, normalised as the options say. */
        Writer text(String s) {
            if (s == null) return str(null);
            if (options.normalizeWhitespace()) s = s.strip().replaceAll("\\s+", " ");
            if (options.caseFold()) s = s.toLowerCase(Locale.ROOT);
            return str(s);
        }

        Writer bool(Boolean b) {
            return b == null ? tag('0') : tag(b ? 'T' : 'F');
        }

        Writer num(Double d) {
            if (d == null) return tag('0');
            // 1 and 1.0 are the same number: compare by value
            return tag('n').int64(Double.doubleToLongBits(d == 0.0 ? 0.0 : d));
        }

        Writer part(Part p) {
            switch (p) {
                case Part.Text t -> tag('t').text(t.text()).json(t.extra());
                case Part.Image i -> tag('i').str(i.url()).str(i.mediaType()).str(i.base64()).str(i.detail()).json(i.extra());
                case Part.File f -> tag('f').str(f.fileId()).str(f.filename()).str(f.mediaType()).str(f.base64()).str(f.url())
                        .text(f.text()).json(f.extra());
                case Part.ToolCall c -> tag('c').str(c.id()).str(c.name()).jsonText(c.arguments()).json(c.extra());
                case Part.CustomToolCall c -> tag('u').str(c.id()).str(c.name()).str(c.input()).json(c.extra());
                case Part.ToolResult r -> {
                    tag('r').str(r.callId()).bool(r.isError()).bool(r.custom()).count(r.content().size());
                    for (Part q : r.content()) part(q);
                    json(r.extra());
                }
                case Part.Reasoning r -> tag('z').text(r.text()).bool(r.redacted());
                case Part.Opaque o -> tag('o').str(o.type()).json(o.raw());
            }
            return this;
        }

        /** Tool-call arguments are JSON text as the model produced it: canonical when it parses, else as is. */
        Writer jsonText(String text) {
            try {
                return json(ARGUMENTS.readTree(text));
            } catch (Exception e) {
                return str(text);
            }
        }

        /** A JSON value in canonical form: object fields sorted by name, numbers by value, cache_control left out. */
        Writer json(JsonNode n) {
            if (n == null || n.isMissingNode()) return tag('0');
            switch (n.getNodeType()) {
                case NULL -> tag('N');
                case BOOLEAN -> bool(n.booleanValue());
                case NUMBER -> {
                    if (n.isIntegralNumber() && n.canConvertToLong()) tag('n').int64(Double.doubleToLongBits(n.longValue()));
                    else if (n.isBigDecimal() || n.isBigInteger()) tag('d').str(n.decimalValue().stripTrailingZeros().toPlainString());
                    else num(n.doubleValue());
                }
                case STRING -> str(n.textValue());
                case ARRAY -> {
                    tag('[').count(n.size());
                    for (JsonNode e : n) json(e);
                }
                case OBJECT -> {
                    List<String> names = new ArrayList<>(n.size());
                    n.fieldNames().forEachRemaining(name -> {
                        if (!name.equals(CACHE_CONTROL)) names.add(name);
                    });
                    names.sort(null);
                    tag('{').count(names.size());
                    for (String name : names) str(name).json(n.get(name));
                }
                default -> str(n.asText());   // binary and POJO nodes do not come from parsed JSON
            }
            return this;
        }
    }
}
