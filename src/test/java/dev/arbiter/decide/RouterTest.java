package dev.arbiter.decide;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RouterTest {
    static final Set<String> ALL = Set.copyOf(Catalog.CAPABILITIES);
    static final Catalog.Entry CHEAP = new Catalog.Entry("cheap", "p", 16_000, Set.of("streaming", "json"), 0.1, 0.4, 0.1, Map.of("chat", 0.6));
    static final Catalog.Entry GOOD = new Catalog.Entry("good", "p", 200_000, ALL, 3, 15, 0.3, Map.of("chat", 0.9));
    /** Worse than good on quality and dearer: dominated. */
    static final Catalog.Entry DOMINATED = new Catalog.Entry("dominated", "p", 200_000, ALL, 5, 20, 5, Map.of("chat", 0.8));

    static RoutesConfig.Route route(String policy, double maxCost, double minQuality, List<String> caps) {
        return new RoutesConfig.Route("r", List.of("cheap", "good", "dominated"), policy, Reward.BALANCED, Double.NaN, maxCost, 0, minQuality, caps);
    }

    static RequestContext ctx(long in, Set<String> caps) {
        return new RequestContext(in, 100, caps, "chat", Features.of("hello"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "weighted", "epsilon-greedy", "ucb1", "thompson", "thompson-gaussian", "linucb", "contextual-thompson"})
    void decide_anyPolicy_neverChoosesDominatedAndConstraintsHold(String policy) {
        var r = new Router(route(policy, 0.004, 0, List.of()), List.of(CHEAP, GOOD, DOMINATED), new SplittableRandom(1));
        var random = new SplittableRandom(2);
        for (int i = 0; i < 2000; i++) {
            long in = random.nextInt(1, 40_000);
            Set<String> caps = random.nextBoolean() ? Set.of("tools") : Set.of();
            Router.Decision d;
            try {
                d = r.decide(ctx(in, caps));
            } catch (Router.NoCandidate e) {
                continue;   // nothing allowed: refused, never a constraint broken
            }
            assertThat(d.model()).isNotEqualTo("dominated");
            var chosen = d.candidates().get(d.chosen());
            assertThat(chosen.excluded()).isEmpty();
            assertThat(chosen.cost()).isLessThanOrEqualTo(0.004);
            if (caps.contains("tools")) assertThat(d.model()).isEqualTo("good");
            if (in > 16_000) assertThat(d.model()).isNotEqualTo("cheap");
            r.learn(d, random.nextDouble(), chosen.cost(), random.nextInt(100, 2000));
        }
    }

    @Test
    void decide_dominated_notOnParetoFrontier() {
        var r = new Router(route("", 0, 0, List.of()), List.of(CHEAP, GOOD, DOMINATED), new SplittableRandom(1));
        var d = r.decide(ctx(100, Set.of()));
        assertThat(d.candidates()).extracting(Router.Candidate::model, Router.Candidate::pareto)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("cheap", true), org.assertj.core.groups.Tuple.tuple("good", true),
                        org.assertj.core.groups.Tuple.tuple("dominated", false));
    }

    @Test
    void decide_objectives_chooseAlongTheFrontier() {
        var quality = new RoutesConfig.Route("q", List.of("cheap", "good"), "", Reward.QUALITY_FIRST, Double.NaN, 0, 0, 0, List.of());
        var cost = new RoutesConfig.Route("c", List.of("cheap", "good"), "", Reward.COST_FIRST, Double.NaN, 0, 0, 0, List.of());
        assertThat(new Router(quality, List.of(CHEAP, GOOD), new SplittableRandom(1)).decide(ctx(1000, Set.of())).model()).isEqualTo("good");
        assertThat(new Router(cost, List.of(CHEAP, GOOD), new SplittableRandom(1)).decide(ctx(1000, Set.of())).model()).isEqualTo("cheap");
    }

    @Test
    void decide_minQualityAndRequiredCapabilities_filter() {
        var r = new Router(route("", 0, 0.7, List.of()), List.of(CHEAP, GOOD, DOMINATED), new SplittableRandom(1));
        assertThat(r.decide(ctx(10, Set.of())).candidates().getFirst().excluded()).isEqualTo("min-quality");
        var vision = new Router(route("", 0, 0, List.of("vision")), List.of(CHEAP), new SplittableRandom(1));
        assertThatThrownBy(() -> vision.decide(ctx(10, Set.of()))).isInstanceOf(Router.NoCandidate.class).hasMessageContaining("vision");
    }

    @Test
    void decide_maxP95Latency_excludesSlowOnceObserved() {
        var route = new RoutesConfig.Route("r", List.of("cheap", "good"), "", Reward.COST_FIRST, Double.NaN, 0, 1000, 0, List.of());
        var r = new Router(route, List.of(CHEAP, GOOD), new SplittableRandom(1));
        var d = r.decide(ctx(10, Set.of()));
        assertThat(d.model()).isEqualTo("cheap");
        for (int i = 0; i < 20; i++) r.learn(d, 1, 0, 5000);
        assertThat(r.decide(ctx(10, Set.of())).model()).isEqualTo("good");
    }

    @Test
    void decide_unavailable_skippedWhileAnotherFits() {
        var down = new java.util.HashSet<String>(Set.of("cheap"));
        var route = new RoutesConfig.Route("r", List.of("cheap", "good"), "", Reward.COST_FIRST, Double.NaN, 0, 0, 0, List.of());
        var r = new Router(route, List.of(CHEAP, GOOD), new SplittableRandom(1), m -> !down.contains(m));
        var d = r.decide(ctx(10, Set.of()));
        assertThat(d.model()).isEqualTo("good");
        assertThat(d.candidates().getFirst().excluded()).isEqualTo("unavailable");
        down.add("good");   // all down: the best of them still goes, the attempt step answers for the breakers
        assertThat(r.decide(ctx(10, Set.of())).model()).isEqualTo("cheap");
    }

    @Test
    void taskType_heuristics() {
        assertThat(TaskType.of("Fix this bug:\n```java\nint x;```")).isEqualTo("code");
        assertThat(TaskType.of("How many apples does Tom have if he buys 3 and eats 1?")).isEqualTo("math");
        assertThat(TaskType.of("Extract the names as JSON")).isEqualTo("extraction");
        assertThat(TaskType.of("Explain why the sky is blue")).isEqualTo("reasoning");
        assertThat(TaskType.of("Hello there")).isEqualTo("chat");
    }

    @Test
    void catalog_shipped_hasThirtyModelsWithPricesAndDate() {
        var c = Catalog.defaults();
        assertThat(c.entries()).hasSizeGreaterThanOrEqualTo(30);
        assertThat(c.date()).matches("\\d{4}-\\d{2}-\\d{2}");
        assertThat(c.entries()).allSatisfy(e -> {
            assertThat(e.output()).isPositive();
            assertThat(e.contextWindow()).isPositive();
            assertThat(Catalog.CAPABILITIES).containsAll(e.capabilities());
            assertThat(e.quality().keySet()).containsExactlyInAnyOrderElementsOf(Catalog.TASK_TYPES);
        });
        var override = new Catalog.Entry("gpt-4o", "openai", 1, Set.of(), 9, 9, 9, Map.of());
        assertThat(c.with(List.of(override)).find("gpt-4o").orElseThrow().input()).isEqualTo(9);
    }
}
