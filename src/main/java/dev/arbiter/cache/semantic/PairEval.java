package dev.arbiter.cache.semantic;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Precision and recall of semantic hits on labelled sentence pairs: a pair is a hit when its cosine similarity
 * reaches the threshold and no guard vetoes it; it should be one when its two sentences mean the same (MRPC label 1;
 * STS-B score of 4 or more, "mostly equivalent": at 3, "important information differs", a cache must not answer).
 */
public final class PairEval {
    /** A sentence pair and whether one may answer for the other. */
    public record Pair(String a, String b, boolean same) {
    }

    /** A pair with its similarity and the guards that veto it. */
    public record Scored(Pair pair, float similarity, Set<Guard> vetoes) {
    }

    /** Precision, recall and F1 at one threshold with one set of guards. */
    public record Point(double threshold, Set<Guard> guards, long tp, long fp, long fn) {
        public double precision() {
            return tp + fp == 0 ? 1 : (double) tp / (tp + fp);
        }

        public double recall() {
            return tp + fn == 0 ? 0 : (double) tp / (tp + fn);
        }

        public double f1() {
            double p = precision(), r = recall();
            return p + r == 0 ? 0 : 2 * p * r / (p + r);
        }
    }

    private PairEval() {
    }

    /** STS-B's dev split ({@code text_a, text_b, score, ...}); same when score >= 4. {@code limit} rows at most. */
    public static List<Pair> stsb(Path file, int limit) {
        return read(file, limit, cols -> Double.parseDouble(cols[2]) >= 4.0);
    }

    /** MRPC's train split ({@code text_a, text_b, label, ...}); same when label is 1. {@code limit} rows at most. */
    public static List<Pair> mrpc(Path file, int limit) {
        return read(file, limit, cols -> cols[2].trim().equals("1"));
    }

    private static List<Pair> read(Path file, int limit, java.util.function.Predicate<String[]> same) {
        try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
            List<Pair> out = new ArrayList<>();
            lines.skip(1).limit(limit).forEach(line -> {
                String[] c = line.split("\t", -1);
                if (c.length >= 3) out.add(new Pair(unescape(c[0]), unescape(c[1]), same.test(c)));
            });
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The data's escapes for newline and tab undone (the data README: written as \n and \t). */
    static String unescape(String s) {
        return s.indexOf('\\') < 0 ? s : s.replace("\\n", "\n").replace("\\t", "\t");
    }

    /** Every pair embedded (each distinct sentence once) and checked by every guard. */
    public static List<Scored> score(List<Pair> pairs, Embedder embedder) {
        Map<String, float[]> vectors = new HashMap<>();
        List<Scored> out = new ArrayList<>(pairs.size());
        for (Pair p : pairs) {
            float[] a = vectors.computeIfAbsent(p.a(), embedder::embed);
            float[] b = vectors.computeIfAbsent(p.b(), embedder::embed);
            out.add(new Scored(p, Embedder.cosine(a, b), Set.copyOf(Guard.vetoes(Set.of(Guard.values()), p.a(), p.b()))));
        }
        return out;
    }

    /** The counts at {@code threshold} with {@code guards}. */
    public static Point at(List<Scored> scored, double threshold, Set<Guard> guards) {
        long tp = 0, fp = 0, fn = 0;
        for (Scored s : scored) {
            boolean hit = s.similarity() >= threshold && java.util.Collections.disjoint(s.vetoes(), guards);
            if (hit && s.pair().same()) tp++;
            else if (hit) fp++;
            else if (s.pair().same()) fn++;
        }
        return new Point(threshold, guards, tp, fp, fn);
    }
}
