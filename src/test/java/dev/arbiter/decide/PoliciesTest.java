package dev.arbiter.decide;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class PoliciesTest {
    /** Bernoulli arms 0.3, 0.5, 0.7: each learning policy must settle on arm 2 within 2,000 steps. */
    @ParameterizedTest
    @ValueSource(strings = {"epsilon-greedy", "ucb1", "thompson", "thompson-gaussian", "linucb", "contextual-thompson", "knn"})
    void choose_stationaryArms_convergesToBestWithin2000Steps(String name) {
        for (int seed = 0; seed < 3; seed++) {
            var sim = new Simulator(new double[][] {{0.3, 0.5, 0.7}});
            Policy p = Policies.create(name, 3, 2, Double.NaN, new SplittableRandom(seed));
            sim.run(p, 2000, seed);
            int best = 0;
            var random = new SplittableRandom(seed + 50);
            for (int i = 0; i < 500; i++) {
                int a = p.choose(sim.context(0));
                if (a == 2) best++;
                p.update(a, sim.context(0), random.nextDouble() < new double[] {0.3, 0.5, 0.7}[a] ? 1 : 0);
            }
            assertThat(best).as(name + " seed " + seed).isGreaterThan(400);
        }
    }

    /** Each model best at one task type: the contextual policies learn the best model per type within 3,000 steps. */
    @ParameterizedTest
    @ValueSource(strings = {"linucb", "contextual-thompson", "knn"})
    void choose_taskTypes_contextualLearnsBestPerTypeWithin3000Steps(String name) {
        var sim = Simulator.threeTasks();
        Policy p = Policies.create(name, sim.arms(), sim.tasks() + 1, Double.NaN, new SplittableRandom(1));
        sim.run(p, 3000, 2);
        int right = 0;
        for (int i = 0; i < 300; i++) {
            int t = i % 3;
            if (p.choose(sim.context(t)) == t) right++;
        }
        assertThat(right).isGreaterThan(270);
    }

    @Test
    void regret_contextualBelowContextFree_onTaskSimulator() {
        var sim = Simulator.threeTasks();
        double[] lin = sim.run(Policies.create("linucb", 3, 4, Double.NaN, new SplittableRandom(3)), 5000, 9);
        double[] ucb = sim.run(Policies.create("ucb1", 3, 4, Double.NaN, new SplittableRandom(3)), 5000, 9);
        assertThat(lin[4999]).isLessThan(ucb[4999] / 2);
        // sublinear: the second half adds less regret than the first
        assertThat(lin[4999] - lin[2499]).isLessThan(lin[2499]);
    }

    @Test
    void choose_weighted_followsWeightsAndLearnsNothing() {
        Policy p = Policies.weighted(new double[] {1, 3}, new SplittableRandom(4));
        int ones = 0;
        for (int i = 0; i < 4000; i++) {
            int a = p.choose(new double[0]);
            p.update(a, new double[0], a == 0 ? 1 : 0);
            if (a == 1) ones++;
        }
        assertThat(ones).isBetween(2800, 3200);
    }

    @ParameterizedTest
    @ValueSource(strings = {"epsilon-greedy", "ucb1", "thompson", "thompson-gaussian", "linucb", "contextual-thompson", "weighted", "knn"})
    void load_savedState_restoresEstimatesAndChoices(String name) {
        var sim = new Simulator(new double[][] {{0.2, 0.9}});
        Policy a = Policies.create(name, 2, 2, Double.NaN, new SplittableRandom(5));
        sim.run(a, 500, 5);
        Policy b = Policies.create(name, 2, 2, Double.NaN, new SplittableRandom(6));
        b.load(a.save());
        assertThat(b.stats()).isEqualTo(a.stats());
        assertThat(b.save()).containsExactly(a.save());
        if (name.equals("ucb1") || name.equals("linucb") || name.equals("knn")) {
            assertThat(b.choose(sim.context(0))).isEqualTo(a.choose(sim.context(0)));   // deterministic given the state
        }
    }

    /** The best arm is not allowed for half the contexts: no contextual policy ever chooses outside the allowed set. */
    @ParameterizedTest
    @ValueSource(strings = {"linucb", "contextual-thompson", "knn"})
    void choose_allowedSubset_neverLeavesIt(String name) {
        var sim = Simulator.threeTasks();
        Policy p = Policies.create(name, sim.arms(), sim.tasks() + 1, Double.NaN, new SplittableRandom(7));
        var random = new SplittableRandom(8);
        for (int i = 0; i < 3000; i++) {
            int t = i % 3;
            boolean[] allowed = {true, true, true};
            if (i % 2 == 0) allowed[t] = false;
            int a = p.choose(sim.context(t), allowed);
            assertThat(allowed[a]).as(name + " step " + i).isTrue();
            p.update(a, sim.context(t), random.nextDouble() < (a == t ? 0.9 : 0.3) ? 1 : 0);
        }
    }

    /** The knn policy forgets beyond its memory: after the best arm changes it follows within two memories. */
    @Test
    void choose_knnAfterDrift_followsTheNewBest() {
        Policy p = new Knn(2, 2, 500, 0.5);
        var random = new SplittableRandom(9);
        double[] x = {1, 0.5};
        for (int i = 0; i < 2000; i++) {
            int a = p.choose(x);
            p.update(a, x, random.nextDouble() < (a == 0 ? 0.8 : 0.2) ? 1 : 0);
        }
        assertThat(p.choose(x)).isEqualTo(0);
        for (int i = 0; i < 1000; i++) {
            int a = p.choose(x);
            p.update(a, x, random.nextDouble() < (a == 1 ? 0.8 : 0.2) ? 1 : 0);
        }
        int ones = 0;
        for (int i = 0; i < 200; i++) {
            int a = p.choose(x);
            if (a == 1) ones++;
            p.update(a, x, random.nextDouble() < (a == 1 ? 0.8 : 0.2) ? 1 : 0);
        }
        assertThat(ones).isGreaterThan(160);
    }

    @Test
    void load_knnWrongShape_refused() {
        Policy p = Policies.create("knn", 2, 3, Double.NaN, new SplittableRandom(1));
        assertThatThrownBy(() -> p.load(new double[9])).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected");
        assertThatThrownBy(() -> p.load(new double[] {0, 0, 0, 0, 0, 0, 1, 0, 7, 1, 1, 1, 1})).hasMessageContaining("arm 7");
    }

    @Test
    void load_wrongShape_refused() {
        Policy p = Policies.create("linucb", 2, 3, Double.NaN, new SplittableRandom(1));
        assertThatThrownBy(() -> p.load(new double[5])).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected");
    }

    @Test
    void create_boundedExploration_rejectsOutOfRange() {
        assertThatThrownBy(() -> Policies.create("epsilon-greedy", 2, 1, 0.9, new SplittableRandom(1)))
                .hasMessage("epsilon: 0.9 (expected: 0..0.5)");
        assertThatThrownBy(() -> Policies.create("nope", 2, 1, Double.NaN, new SplittableRandom(1)))
                .hasMessageContaining("expected: weighted | epsilon-greedy");
    }

    @Test
    void reward_weightsQualityCostLatency_normalisedAndClamped() {
        assertThat(Reward.BALANCED.of(1, 0, 1, 0, 1)).isEqualTo(1.0);
        assertThat(Reward.BALANCED.of(0, 5, 1, 9, 1)).isEqualTo(0.0);
        assertThat(new Reward(1, 1, 0).of(1, 0.5, 1, 0, 0)).isEqualTo(0.75);
    }
}
