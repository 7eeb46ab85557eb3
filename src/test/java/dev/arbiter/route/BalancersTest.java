package dev.arbiter.route;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.config.DeploymentConfig;
import dev.arbiter.config.SectionValues;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.Message;
import dev.arbiter.llm.Operation;
import dev.arbiter.llm.Role;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.pipeline.Caller;
import dev.arbiter.pipeline.Deadline;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.provider.Deployment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Each load-balancing selector alone, on fake load and fixed draws; and the health ordering that follows them. */
class BalancersTest {
    private static Deployment deployment(String name, int weight) {
        var config = new DeploymentConfig(name, "mock", "m", null, null, weight, null, null, Duration.ofSeconds(1),
                Duration.ofSeconds(1), 0, null, null, SectionValues.NONE);
        return new Deployment("model", config, null, null, WireFormat.OPENAI_CHAT);
    }

    private final Deployment a = deployment("a", 1);
    private final Deployment b = deployment("b", 1);
    private final Deployment c = deployment("c", 1);
    private final Deployment standby = deployment("standby", 0);
    private final ModelRegistry.Model model = new ModelRegistry.Model("model", false, List.of(a, standby, b, c), false);
    private final AtomicLong now = new AtomicLong();
    private final DeploymentLoad load = new DeploymentLoad(now::get);

    private static Exchange exchange(String system, String firstUser, String later, Map<String, String> headers, String user) {
        var messages = new ArrayList<Message>();
        if (system != null) messages.add(Message.text(Role.SYSTEM, system));
        messages.add(Message.text(Role.USER, firstUser));
        if (later != null) {
            messages.add(Message.text(Role.ASSISTANT, "an answer"));
            messages.add(Message.text(Role.USER, later));
        }
        var req = LlmRequest.builder(Operation.CHAT, WireFormat.OPENAI_CHAT).model("model").messages(messages).user(user).build();
        return Exchange.of("r", Caller.ANONYMOUS, req, Deadline.after(Duration.ofSeconds(10), System::nanoTime), headers);
    }

    @Test
    void roundRobin_takesTurns_standbyAlwaysLast() {
        var rr = Balancers.roundRobin();
        var firsts = new ArrayList<String>();
        for (int i = 0; i < 6; i++) {
            var ranked = rr.rank(model, null);
            firsts.add(ranked.getFirst().name());
            assertThat(ranked.getLast()).isEqualTo(standby);
            assertThat(ranked).hasSize(4);
        }
        assertThat(firsts).containsExactly("a", "b", "c", "a", "b", "c");
    }

    @Test
    void leastBusy_fewestInFlightFirst_tiesSpreadAtRandom() {
        var t1 = load.start(a);
        load.start(a);
        load.start(b);
        var sel = Balancers.leastBusy(load, new SplittableRandom(7)::nextLong);
        assertThat(sel.rank(model, null)).containsExactly(c, b, a, standby);
        t1.end(false);
        load.start(c);
        load.start(c);
        assertThat(sel.rank(model, null).subList(0, 2)).containsExactlyInAnyOrder(a, b);
        assertThat(sel.rank(model, null).get(2)).isEqualTo(c);
        // ties: each of the idle ones comes first about as often
        var idle = new ModelRegistry.Model("idle", false, List.of(deployment("p", 1), deployment("q", 1)), false);
        var counts = new HashMap<String, Integer>();
        for (int i = 0; i < 2000; i++) counts.merge(sel.select(idle, null).name(), 1, Integer::sum);
        assertThat(counts.get("p")).isBetween(850, 1150);
    }

    @Test
    void latency_powerOfTwoChoices_theFasterOfTheDrawnPairFirst_unmeasuredExplored() {
        load.sample(a, 300_000_000);
        load.sample(b, 100_000_000);
        load.sample(c, 200_000_000);
        // draws: index 1 (b), then index 0 of the rest (a) -> b, the faster of the pair, first; the rest by average
        var fixed = new long[] {1, 0};
        var i = new int[] {0};
        var sel = Balancers.latency(load, bound -> fixed[i[0]++ % 2]);
        assertThat(sel.rank(model, null)).containsExactly(b, c, a, standby);
        // over many draws the slowest is never first (it loses every pair), the fastest most often
        var counts = new HashMap<String, Integer>();
        var random = Balancers.latency(load, new SplittableRandom(3)::nextLong);
        for (int n = 0; n < 3000; n++) counts.merge(random.select(model, null).name(), 1, Integer::sum);
        assertThat(counts).doesNotContainKey("a").doesNotContainKey("standby");
        assertThat(counts.get("b")).isGreaterThan(counts.get("c"));
        // a deployment never measured reads 0 and wins its pairs: it gets tried
        var fresh = deployment("fresh", 1);
        var withFresh = new ModelRegistry.Model("model", false, List.of(a, b, fresh), false);
        assertThat(Balancers.latency(load, bound -> 0).rank(withFresh, null).getFirst()).isIn(fresh, b);
    }

    @Test
    void latency_failuresCountAsSlow() {
        load.sample(a, 100_000_000);
        var t = load.start(a);
        now.addAndGet(1_000_000);   // fails fast, 1 ms
        t.end(true);
        assertThat(load.latencyNanos(a)).as("a fast failure reads as at least twice the average").isGreaterThan(100_000_000);
        assertThat(load.inFlight(a)).isZero();
    }

    @Test
    void prefixAffinity_sameConversation_sameDeployment_acrossTurns_andSpreadsConversations() {
        var sel = Balancers.prefixAffinity();
        var first = sel.select(model, exchange("You are terse.", "Summarise this file", null, Map.of(), null));
        for (int turn = 0; turn < 5; turn++) {
            var later = exchange("You are terse.", "Summarise this file", "and turn " + turn, Map.of(), null);
            assertThat(sel.select(model, later)).isEqualTo(first);
        }
        var seen = new HashSet<Deployment>();
        var counts = new HashMap<String, Integer>();
        for (int n = 0; n < 3000; n++) {
            Deployment d = sel.select(model, exchange("sys", "conversation " + n, null, Map.of(), null));
            seen.add(d);
            counts.merge(d.name(), 1, Integer::sum);
        }
        assertThat(seen).containsExactlyInAnyOrder(a, b, c);
        assertThat(counts.values()).allSatisfy(v -> assertThat(v).isBetween(800, 1200));
    }

    @Test
    void prefixAffinity_sessionHeaderThenUser_overrideThePrefix_andAnUnhealthyDeploymentMovesOnlyItsOwn() {
        var sel = Balancers.prefixAffinity();
        var bySession = new HashMap<String, Deployment>();
        for (int n = 0; n < 50; n++) {
            String s = "session-" + n;
            Deployment d = sel.select(model, exchange("sys", "q" + n, null, Map.of(Balancers.SESSION_HEADER, s), null));
            bySession.put(s, d);
            assertThat(sel.select(model, exchange("other", "other question", null, Map.of(Balancers.SESSION_HEADER, s), "u")))
                    .isEqualTo(d);
        }
        assertThat(sel.select(model, exchange("x", "1", null, Map.of(), "alice")))
                .isEqualTo(sel.select(model, exchange("y", "2", null, Map.of(), "alice")));
        // b's breaker opens: routing moves b's sessions to their second choice, everyone else stays put
        var health = new DeploymentHealth(UpstreamState.NONE, new CircuitGate() {
            @Override
            public Call enter(Deployment d) {
                return Call.NONE;
            }

            @Override
            public Duration openFor(Deployment d) {
                return d == b ? Duration.ofSeconds(30) : Duration.ZERO;
            }
        });
        for (var e : bySession.entrySet()) {
            var ranked = health.freeFirst(sel.rank(model, exchange("s", "q", null, Map.of(Balancers.SESSION_HEADER, e.getKey()), null)));
            if (e.getValue() != b) assertThat(ranked.getFirst()).isEqualTo(e.getValue());
            else assertThat(ranked.getFirst()).isNotEqualTo(b);
            assertThat(ranked.getLast()).isEqualTo(b);
        }
    }

    @Test
    void freeFirst_keepsEachGroupsOrder_andTheSameListWhenAllFree() {
        var cooling = new MemoryUpstreamState(null, now::get);
        cooling.coolDown(a, Duration.ofSeconds(1));
        var health = new DeploymentHealth(cooling, CircuitGate.NONE);
        assertThat(health.freeFirst(List.of(a, b, c))).containsExactly(b, c, a);
        var all = List.of(b, c);
        assertThat(health.freeFirst(all)).isSameAs(all);
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(health.freeFirst(List.of(a, b, c))).containsExactly(a, b, c);
    }

    @Test
    void perModel_picksEachModelsStrategy_andNamesIt() {
        var sel = Balancers.perModel(Map.of("model", LoadBalancing.Strategy.ROUND_ROBIN), load);
        assertThat(sel.name(model)).isEqualTo("round-robin");
        var other = new ModelRegistry.Model("other", false, List.of(a, b), false);
        assertThat(sel.name(other)).isEqualTo("weighted");
        assertThat(sel.rank(model, null).getFirst()).isEqualTo(a);
        assertThat(sel.rank(model, null).getFirst()).isEqualTo(b);
    }
}
