package dev.arbiter.route;

import dev.arbiter.provider.Deployment;
import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.config.DeploymentConfig;
import dev.arbiter.config.SectionValues;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DeploymentSelectorTest {
    private static Deployment deployment(String name, int weight) {
        var config = new DeploymentConfig(name, "mock", "m", null, null, weight, null, null, Duration.ofSeconds(1),
                Duration.ofSeconds(1), 0, null, null, SectionValues.NONE);
        return new Deployment("model", config, null, null, dev.arbiter.llm.WireFormat.OPENAI_CHAT);
    }

    private static Map<String, Integer> draws(DeploymentSelector selector, ModelRegistry.Model model, int n) {
        var counts = new HashMap<String, Integer>();
        for (int i = 0; i < n; i++) counts.merge(selector.select(model, null).name(), 1, Integer::sum);
        return counts;
    }

    @Test
    void weighted_threeToOne_splitsThreeToOneWithinFiveSigma() {
        var model = new ModelRegistry.Model("model", false, List.of(deployment("a", 3), deployment("b", 1)), false);
        int n = 40_000;
        // binomial: mean 30000, sigma sqrt(n * 0.75 * 0.25) = 86.6
        for (long seed : new long[] {1, 15, 42}) {
            var counts = draws(DeploymentSelector.weighted(new SplittableRandom(seed)::nextLong), model, n);
            assertThat(counts.get("a")).as("seed %d: %s", seed, counts).isBetween(30_000 - 433, 30_000 + 433);
            assertThat(counts.get("a") + counts.get("b")).isEqualTo(n);
        }
        var counts = draws(DeploymentSelector.weightedRandom(), model, n);
        assertThat(counts.get("a")).as("thread-local random: %s", counts).isBetween(30_000 - 433, 30_000 + 433);
    }

    @Test
    void weighted_zeroWeight_neverChosen_everyDrawMapsToADeployment() {
        var model = new ModelRegistry.Model("model", false,
                List.of(deployment("zero", 0), deployment("a", 2), deployment("zero-too", 0), deployment("b", 1)), false);
        for (long r = 0; r < 3; r++) {
            long fixed = r;
            String chosen = DeploymentSelector.weighted(bound -> fixed).select(model, null).name();
            assertThat(chosen).isEqualTo(r < 2 ? "a" : "b");
        }
        assertThat(draws(DeploymentSelector.weightedRandom(), model, 3000)).doesNotContainKeys("zero", "zero-too");
    }

    @Test
    void weighted_factorOnOne_scalesItsShare() {
        var model = new ModelRegistry.Model("model", false, List.of(deployment("a", 1), deployment("b", 1), deployment("z", 0)), false);
        int n = 40_000;
        var selector = DeploymentSelector.weighted(new SplittableRandom(3)::nextLong, d -> d.name().equals("b") ? 0.1 : 1);
        var counts = draws(selector, model, n);
        // b's share 0.1 / 1.1: mean 3636, sigma sqrt(n * p * (1 - p)) = 57.5; a weight of 0 stays 0
        assertThat(counts.get("b")).as("%s", counts).isBetween(3636 - 288, 3636 + 288);
        assertThat(counts.get("a") + counts.get("b")).isEqualTo(n);
        // a factor of 0 keeps a positive weight drawable, last in line rather than never
        var zero = DeploymentSelector.weighted(new SplittableRandom(4)::nextLong, d -> d.name().equals("b") ? 0 : 1);
        assertThat(draws(zero, model, 1000).get("b")).isBetween(1, 20);
    }
}
