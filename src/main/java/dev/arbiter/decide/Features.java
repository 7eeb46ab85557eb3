package dev.arbiter.decide;

/**
 * The context vector the contextual policies learn over, computed from a request's text in one pass (no tokenizer,
 * no allocation but the vector): a bias, the length (log characters), counts of numbers, commas and sentences,
 * math and code cues, and whether the request needs tools, images or a JSON answer. Each is scaled to about [0, 1]
 * so one exploration width suits all. {@link #DIM} is fixed: persisted policy state depends on it.
 *
 * <p>Which of these carry signal was measured on the GSM8K replay (see the README's decision section): length is
 * the strongest single predictor of the weaker model failing, commas (clauses) next; counts of numbers add little.
 */
public final class Features {
    public static final int DIM = 8;
    /**
     * Dimensions the prompt's sentence embedding adds with {@code features: text+embedding}: a fixed random projection
     * of its 384 (see {@link Projection}); 8 to 24 measured the same on the GSM8K replay, 16 is the middle.
     */
    public static final int EMBEDDING_DIM = 16;

    private Features() {
    }

    /** The features of a prompt's text and what the request requires. */
    public static double[] of(CharSequence text, boolean tools, boolean images, boolean json) {
        int chars = text.length();
        int numbers = 0;
        int commas = 0;
        int sentences = 0;
        int math = 0;
        int code = 0;
        boolean inNumber = false;
        for (int i = 0; i < chars; i++) {
            char c = text.charAt(i);
            boolean digit = c >= '0' && c <= '9';
            if (digit && !inNumber) numbers++;
            inNumber = digit || (inNumber && (c == '.' || c == ',') && i + 1 < chars && Character.isDigit(text.charAt(i + 1)));
            switch (c) {
                case ',' -> { if (!inNumber) commas++; }
                case '.', '?', '!' -> { if (!inNumber) sentences++; }
                case '%', '/', '*', '=', '+' -> math++;
                case '{', '}', ';', '`' -> code++;
                default -> { }
            }
        }
        return new double[] {
                1,
                Math.log1p(chars) / 8,
                Math.min(numbers, 30) / 10.0,
                Math.min(commas, 20) / 5.0,
                Math.min(sentences, 20) / 5.0,
                Math.min(math, 20) / 5.0,
                Math.min(code, 40) / 10.0,
                (tools ? 1 : 0) + (images ? 1 : 0) + (json ? 1 : 0)
        };
    }

    /**
     * The text features followed by the projected embedding of the prompt; an empty {@code embedding} (the embedder
     * was busy or failed) gives zeros there, which the linear policies read as "no evidence either way".
     */
    static double[] withEmbedding(double[] text, float[] embedding) {
        double[] x = java.util.Arrays.copyOf(text, text.length + EMBEDDING_DIM);
        if (embedding.length > 0) System.arraycopy(Projection.of(embedding, EMBEDDING_DIM), 0, x, text.length, EMBEDDING_DIM);
        return x;
    }

    public static double[] of(CharSequence text) {
        return of(text, false, false, false);
    }
}
