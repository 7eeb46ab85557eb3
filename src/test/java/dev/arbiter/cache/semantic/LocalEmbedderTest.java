package dev.arbiter.cache.semantic;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LocalEmbedderTest {
    private static LocalEmbedder embedder;

    @BeforeAll
    static void load() {
        embedder = new LocalEmbedder(LocalEmbedder.Model.ALL_MINILM_L6_V2_Q);
    }

    @AfterAll
    static void close() {
        embedder.close();
    }

    @Test
    void embed_sameText_sameUnitVector() {
        float[] a = embedder.embed("How do I reset my password?");
        float[] b = embedder.embed("How do I reset my password?");
        assertThat(a).hasSize(embedder.dimension()).containsExactly(b);
        double norm = 0;
        for (float x : a) norm += x * x;
        assertThat(norm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
    }

    @Test
    void embed_paraphrase_closerThanUnrelated() {
        float[] q = embedder.embed("How do I reset my password?");
        float cosParaphrase = Embedder.cosine(q, embedder.embed("How can I change my password?"));
        float cosUnrelated = Embedder.cosine(q, embedder.embed("What is the weather like in Lisbon in May?"));
        assertThat(cosParaphrase).isGreaterThan(0.7f).isGreaterThan(cosUnrelated + 0.4f);
    }

    @Test
    void embed_blankAndLongText_giveVectors() {
        assertThat(embedder.embed("")).hasSize(384);
        assertThat(embedder.embed("word ".repeat(2000))).hasSize(384);
    }

    @Test
    void model_names_areTheConfigNames() {
        assertThat(LocalEmbedder.Model.named("all-minilm-l6-v2-q")).isEqualTo(LocalEmbedder.Model.ALL_MINILM_L6_V2_Q);
        assertThat(LocalEmbedder.Model.named("bge-small")).isNull();
        assertThat(LocalEmbedder.Model.names()).isEqualTo("all-minilm-l6-v2-q | all-minilm-l6-v2");
        assertThat(embedder.name()).isEqualTo("all-minilm-l6-v2-q");
    }
}
