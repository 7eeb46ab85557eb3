package dev.arbiter.cache.semantic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The measured-quality code on a small slice of the evaluation data (../shared/data, read in place). */
class SemanticEvalTest {
    private static final Path DATA = Path.of(System.getProperty("user.dir")).resolve("../shared/data");
    private static LocalEmbedder embedder;

    @BeforeAll
    static void load() {
        assumeTrue(Files.isDirectory(DATA.resolve("paraphrase")), "no evaluation data at " + DATA + " (../shared/data)");
        embedder = new LocalEmbedder(LocalEmbedder.Model.ALL_MINILM_L6_V2_Q);
    }

    @AfterAll
    static void close() {
        if (embedder != null) embedder.close();
    }

    @Test
    void pairs_stsbSlice_similarityRanksSameAboveDifferent() {
        var pairs = PairEval.stsb(DATA.resolve("paraphrase/stsb_dev.tsv"), 200);
        assertThat(pairs).hasSize(200);
        var scored = PairEval.score(pairs, embedder);
        double same = scored.stream().filter(s -> s.pair().same()).mapToDouble(PairEval.Scored::similarity).average().orElseThrow();
        double other = scored.stream().filter(s -> !s.pair().same()).mapToDouble(PairEval.Scored::similarity).average().orElseThrow();
        assertThat(same).isGreaterThan(other + 0.15);
        var low = PairEval.at(scored, 0.5, Set.of());
        var high = PairEval.at(scored, 0.95, Set.of());
        assertThat(low.recall()).isGreaterThan(high.recall());
        assertThat(high.precision()).isGreaterThanOrEqualTo(low.precision());
        assertThat(low.tp() + low.fn()).isEqualTo(pairs.stream().filter(PairEval.Pair::same).count());
        // guards only ever take hits away
        var guarded = PairEval.at(scored, 0.5, EnumSet.allOf(Guard.class));
        assertThat(guarded.tp() + guarded.fp()).isLessThanOrEqualTo(low.tp() + low.fp());
    }

    @Test
    void pairs_mrpcSlice_labelsRead() {
        var pairs = PairEval.mrpc(DATA.resolve("paraphrase/mrpc_train.tsv"), 50);
        assertThat(pairs).hasSize(50);
        assertThat(pairs.getFirst().same()).isTrue();
        assertThat(pairs.get(1).same()).isFalse();
    }

    @Test
    void trace_slice_countsExactRepeatsAndSemanticHits() {
        var prompts = TraceEval.prompts(DATA.resolve("prompts/sharegpt_first_turn_prompts.tsv"), 42, 4000);
        assertThat(prompts).hasSizeGreaterThan(3900);
        // a slice of the short prompts, and each repeated once: every repeat is an exact hit
        var slice = prompts.stream().filter(p -> p.length() < 200).limit(60).toList();
        var trace = new java.util.ArrayList<>(slice);
        trace.addAll(slice);
        var config = new SemanticConfig(0.93, "all-minilm-l6-v2-q", 1000, Set.of(), 4, 200, Duration.ZERO);
        // not closed: the cache would close the embedder the other tests share
        var cache = new SemanticCache(config, embedder, new LuceneHnswIndex(384, 1000, Duration.ZERO, java.time.InstantSource.system()));
        {
            var r = TraceEval.replay(trace, cache, 5);
            assertThat(r.requests()).isEqualTo(120);
            assertThat(r.exactHits()).isGreaterThanOrEqualTo(60);
            assertThat(r.hitRate()).isGreaterThanOrEqualTo(0.5);
            assertThat(r.saved(2.5, 10, 350)).isGreaterThan(60 * 350 * 10 / 1e6);
        }
    }

    @Test
    void latency_smallIndex_measures() {
        var r = LatencyEval.run(500, 32, 100, 1);
        assertThat(r.entries()).isEqualTo(500);
        assertThat(r.p99Micros()).isGreaterThanOrEqualTo(r.p50Micros()).isPositive();
    }
}
