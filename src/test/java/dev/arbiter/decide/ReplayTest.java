package dev.arbiter.decide;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplayTest {
    @TempDir
    Path dir;

    /** 100 prompts: weak right on 60; strong right on those and 30 more; the 10 both miss. */
    private List<Replay.Row> rows() throws Exception {
        var lines = new ArrayList<String>();
        lines.add("benchmark\titem_id\tsubject\tprompt\tweak_a\tstrong_b\tcontaminated");
        for (int i = 0; i < 100; i++) {
            boolean weak = i < 60;
            boolean strong = i < 90;
            // long prompts are the hard ones: a context the contextual policies can learn from
            String prompt = weak ? "short " + i : "a much longer prompt, with clauses, numbers 1 2 3, and more words\\n" + "x".repeat(200) + i;
            lines.add("b\t" + i + "\ts\t" + prompt + "\t" + (weak ? "True" : "False") + "\t" + (strong ? "True" : "False") + "\tFalse");
        }
        lines.add("b\tx\ts\tcontaminated row\tTrue\tTrue\tTrue");
        Path f = dir.resolve("d.tsv");
        Files.write(f, lines);
        return Replay.read(f);
    }

    @Test
    void read_dropsContaminatedAndUnescapes() throws Exception {
        var rows = rows();
        assertThat(rows).hasSize(100);
        assertThat(rows.get(70).prompt()).contains("\n");
    }

    @Test
    void oracleAndRandom_matchTheirDefinitions() throws Exception {
        var replay = new Replay(rows(), Replay.Prices.GSM8K);
        // target 0.95 * 0.9 = 0.855: weak 0.6, the oracle adds one point per strong call on the 30 gains
        assertThat(replay.oracle().strongShareAt95()).isCloseTo(0.255, org.assertj.core.data.Offset.offset(1e-9));
        // random: 0.6 + p * 0.3 = 0.855
        assertThat(replay.random().strongShareAt95()).isCloseTo(0.85, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void evaluate_contextualPolicyWithSignal_beatsRandom() throws Exception {
        var replay = new Replay(rows(), Replay.Prices.GSM8K);
        var lin = replay.evaluate("linucb");
        assertThat(lin.strongShareAt95()).isLessThan(replay.random().strongShareAt95());
        assertThat(lin.curve()).hasSize(Replay.lambdas().length);
        assertThat(lin.curve()).allSatisfy(p -> assertThat(p.cost()).isPositive());
    }

    @Test
    void evaluate_knnWithSignal_beatsRandom() throws Exception {
        var replay = new Replay(rows(), Replay.Prices.GSM8K);
        assertThat(replay.evaluate("knn").strongShareAt95()).isLessThan(replay.random().strongShareAt95());
    }

    /**
     * Prompts whose text features are all alike (same length, same counts), where only the meaning tells the hard ones:
     * the text features alone cannot route them, the same policy with the embedding features can.
     */
    @Test
    void withEmbeddings_signalOnlyInMeaning_contextualPolicyLearnsIt() {
        var rows = new ArrayList<Replay.Row>();
        for (int i = 0; i < 200; i++) {
            boolean hard = i % 3 == 0;
            String prompt = (hard ? "hard" : "easy") + " item " + (100 + i);
            rows.add(new Replay.Row(prompt, !hard, true, Features.of(prompt)));
        }
        float[] hardVector = new float[384];
        float[] easyVector = new float[384];
        hardVector[0] = 1;
        easyVector[1] = 1;
        var withEmbeddings = Replay.withEmbeddings(rows, p -> p.startsWith("hard") ? hardVector : easyVector);
        assertThat(withEmbeddings.getFirst().features()).hasSize(Features.DIM + Features.EMBEDDING_DIM);
        var text = new Replay(rows, Replay.Prices.GSM8K);
        var both = new Replay(withEmbeddings, Replay.Prices.GSM8K);
        double random = text.random().strongShareAt95();
        assertThat(text.evaluate("linucb").strongShareAt95()).isGreaterThan(random - 0.05);
        assertThat(both.evaluate("linucb").strongShareAt95()).isLessThan(random - 0.2);
        assertThat(both.evaluate("knn").strongShareAt95()).isLessThan(random - 0.2);
    }
}
