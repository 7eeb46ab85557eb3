package dev.arbiter.cache.semantic;

import dev.arbiter.wire.TokenCounter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Replays a trace of first-turn prompts through an exact cache (text folded for case and whitespace) and a
 * semantic cache behind it, all in one context (one caller, one model), and counts what each would have answered
 * and what that saves at a price.
 */
public final class TraceEval {
    /**
     * The replay's outcome: requests, hits of each kind, prompts too long for the semantic cache, input tokens of
     * the hits, a few semantic hits to read (new prompt, stored prompt, similarity), and the embedding time spent.
     */
    public record Result(long requests, long exactHits, long semanticHits, long skipped, long hitInputTokens,
                         List<String[]> samples, double embedMillisPerPrompt) {
        public double hitRate() {
            return requests == 0 ? 0 : (double) (exactHits + semanticHits) / requests;
        }

        /** Dollars saved, at {@code inputPrice} and {@code outputPrice} per million tokens and {@code outputTokens} per answer. */
        public double saved(double inputPrice, double outputPrice, int outputTokens) {
            return (hitInputTokens * inputPrice + (exactHits + semanticHits) * (double) outputTokens * outputPrice) / 1e6;
        }
    }

    private TraceEval() {
    }

    /**
     * The prompts of a ShareGPT first-turn file ({@code source_file, conversation_id, prompt, prompt_chars}) in an
     * order shuffled with {@code seed} (the file is sorted by length), the first {@code limit} of them.
     */
    public static List<String> prompts(Path file, long seed, int limit) {
        try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
            List<String> out = new ArrayList<>();
            lines.skip(1).forEach(line -> {
                String[] c = line.split("\t", -1);
                if (c.length >= 3) out.add(PairEval.unescape(c[2]));
            });
            java.util.Collections.shuffle(out, new java.util.Random(seed));
            return out.size() > limit ? List.copyOf(out.subList(0, limit)) : out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Replays {@code prompts} through an exact cache and {@code semantic} (which starts empty and is filled). */
    public static Result replay(List<String> prompts, SemanticCache semantic, int samples) {
        Set<String> exact = new HashSet<>();
        long exactHits = 0, semanticHits = 0, skipped = 0, tokens = 0, embedded = 0, embedNanos = 0;
        List<String[]> shown = new ArrayList<>();
        Instant never = Instant.parse("9999-01-01T00:00:00Z");
        int id = 0;
        for (String p : prompts) {
            if (!exact.add(fold(p))) {
                exactHits++;
                tokens += TokenCounter.count(p);
                continue;
            }
            long t0 = System.nanoTime();
            var probe = semantic.probe("trace", p);
            if (p.length() <= semantic.config().maxPromptChars()) {
                embedded++;
                embedNanos += System.nanoTime() - t0;
            } else {
                skipped++;
            }
            var hit = probe.hit();
            if (hit.isPresent()) {
                semanticHits++;
                tokens += TokenCounter.count(p);
                if (shown.size() < samples) {
                    shown.add(new String[] {p, hit.get().prompt(), String.format(Locale.ROOT, "%.3f", hit.get().similarity())});
                }
            } else {
                probe.remember("r" + id++, never);
            }
        }
        return new Result(prompts.size(), exactHits, semanticHits, skipped, tokens, shown,
                embedded == 0 ? 0 : embedNanos / 1e6 / embedded);
    }

    static String fold(String s) {
        return s.strip().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
    }
}
