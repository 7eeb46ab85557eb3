package dev.arbiter.cache.semantic;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A second check before a semantic hit is served: a cheap, lexical test that two prompts the embedder finds close
 * still ask the same thing. Embedders place "convert 5 km to miles" next to "convert 8 km to miles", and "is X
 * safe" next to "is X not safe"; each guard vetoes one such kind of near miss. Pure functions, thread-safe.
 */
public enum Guard {
    /** The numbers differ (digits, with separators and decimals, and the number words one to twelve). */
    NUMBERS {
        @Override
        public boolean differ(String a, String b) {
            return !numbers(a).equals(numbers(b));
        }
    },
    /** One prompt is negated and the other is not (the counts of negating words differ). */
    NEGATIONS {
        @Override
        public boolean differ(String a, String b) {
            return negations(a) != negations(b);
        }
    },
    /**
     * A named entity of one prompt is missing from the other: a capitalised word other than a sentence's first (and
     * I) that the other prompt does not contain in any case.
     */
    ENTITIES {
        @Override
        public boolean differ(String a, String b) {
            return !words(b).containsAll(entities(a)) || !words(a).containsAll(entities(b));
        }
    };

    /** Whether {@code a} and {@code b} differ in what this guard checks, so one must not answer for the other. */
    public abstract boolean differ(String a, String b);

    /** The config name of this guard ({@code numbers}, {@code negations}, {@code entities}). */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The guard named {@code name} in config, or null. */
    public static Guard named(String name) {
        for (Guard g : values()) if (g.configName().equals(name)) return g;
        return null;
    }

    /** The guards of {@code guards} that veto {@code a} answering for {@code b}; empty when none does. */
    public static List<Guard> vetoes(Set<Guard> guards, String a, String b) {
        List<Guard> out = new ArrayList<>(2);
        for (Guard g : guards) if (g.differ(a, b)) out.add(g);
        return out;
    }

    private static final Pattern NUMBER = Pattern.compile("\\d+(?:[.,]\\d+)*");
    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}']+");
    private static final Map<String, String> NUMBER_WORDS = new HashMap<>();
    private static final Set<String> NEGATING = Set.of("not", "no", "never", "none", "nobody", "nothing", "neither",
            "nor", "nowhere", "without", "cannot");

    static {
        String[] words = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                "eleven", "twelve"};
        for (int i = 0; i < words.length; i++) NUMBER_WORDS.put(words[i], Integer.toString(i));
    }

    static List<String> numbers(String s) {
        List<String> out = new ArrayList<>();
        Matcher m = NUMBER.matcher(s);
        while (m.find()) {
            // 1,000 and 1000 are one number; 2.50 and 2.5 too
            String n = m.group().replace(",", "");
            if (n.contains(".")) n = n.replaceAll("0+$", "").replaceAll("\\.$", "");
            out.add(n);
        }
        Matcher w = WORD.matcher(s);
        while (w.find()) {
            String n = NUMBER_WORDS.get(w.group().toLowerCase(Locale.ROOT));
            if (n != null) out.add(n);
        }
        out.sort(null);
        return out;
    }

    static int negations(String s) {
        int n = 0;
        Matcher w = WORD.matcher(s);
        while (w.find()) {
            String t = w.group().toLowerCase(Locale.ROOT);
            if (NEGATING.contains(t) || t.endsWith("n't")) n++;
        }
        return n;
    }

    static Set<String> words(String s) {
        Set<String> out = new HashSet<>();
        Matcher w = WORD.matcher(s);
        while (w.find()) out.add(w.group().toLowerCase(Locale.ROOT));
        return out;
    }

    static Set<String> entities(String s) {
        Set<String> out = new HashSet<>();
        Matcher w = WORD.matcher(s);
        boolean sentenceStart = true;
        int end = 0;
        while (w.find()) {
            // a sentence starts after . ! ? or a line break between the previous word and this one
            String gap = s.substring(end, w.start());
            if (gap.matches("(?s).*[.!?\\n].*")) sentenceStart = true;
            String t = w.group();
            if (!sentenceStart && Character.isUpperCase(t.codePointAt(0)) && !t.equals("I") && !t.startsWith("I'")) {
                out.add(t.toLowerCase(Locale.ROOT));
            }
            sentenceStart = false;
            end = w.end();
        }
        return out;
    }
}
