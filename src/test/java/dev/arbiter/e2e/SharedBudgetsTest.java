package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.db.Redis;
import dev.arbiter.db.RedisConfig;
import dev.arbiter.db.TcpCut;
import dev.arbiter.db.TestPostgres;
import java.time.LocalDate;
import java.time.ZoneOffset;
import dev.arbiter.mock.MockConfig;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.DoubleAdder;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** A budget holds across two gateways on one Redis, and keeps serving (per gateway) when Redis is cut. */
class SharedBudgetsTest {
    /** A dollar a thousand tokens; max_tokens above what the mock answers, so an estimate covers the real cost. */
    private static final String PRICEY = """
              - name: pricey
                deployments: [{name: pricey, provider: mock, price: {input: 1000, output: 1000}}]
            """;
    private static final String CHAT = "{\"model\":\"pricey\",\"max_tokens\":20,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

    private static Fixture gateway(int redisPort, String name, String secret, double dailyUsd) {
        return gateway(redisPort, name, secret, dailyUsd, "");
    }

    private static Fixture gateway(int redisPort, String name, String secret, double dailyUsd, String extra) {
        return new Fixture(MockConfig.DEFAULT, """
                redis: {url: "redis://127.0.0.1:%d", timeout: 500ms, connect-timeout: 3s}
                auth: {mode: required, admin-key: "%s"}
                keys:
                  - {name: %s, key: "%s", budget: {daily-usd: %s}}
                %s""".formatted(redisPort, ApiKeysTest.ADMIN, name, secret, dailyUsd, extra), PRICEY);
    }

    private static boolean sharedRedis() {
        try (var s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress("127.0.0.1", 6379), 500);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** What the gateways charged in all: the sum of the answers' costs. */
    private record Load(DoubleAdder spent, AtomicInteger ok, AtomicInteger refused, AtomicInteger other, AtomicInteger slow) {
        Load() {
            this(new DoubleAdder(), new AtomicInteger(), new AtomicInteger(), new AtomicInteger(), new AtomicInteger());
        }

        void record(HttpResponse<String> r, Duration took) {
            if (took.compareTo(Duration.ofSeconds(1)) > 0) slow.incrementAndGet();
            switch (r.statusCode()) {
                case 200 -> {
                    ok.incrementAndGet();
                    spent.add(Double.parseDouble(r.headers().firstValue("x-arbiter-cost-usd").orElseThrow()));
                }
                case 429 -> {
                    assertThat(r.body()).contains("budget_exceeded");
                    refused.incrementAndGet();
                }
                default -> other.incrementAndGet();
            }
        }
    }

    /** 16 clients, half on each gateway, until both have refused {@code stopAfterRefusals} requests in all. */
    private static void hammer(List<Fixture> gateways, String secret, Load load, int stopAfterRefusals, Runnable midway, int midwayAfter)
            throws Exception {
        var midwayDone = new AtomicBoolean(midway == null);
        var sent = new AtomicInteger();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> all = new ArrayList<>();
            for (int c = 0; c < 16; c++) {
                Fixture g = gateways.get(c % gateways.size());
                all.add(pool.submit(() -> {
                    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    while (load.refused().get() < stopAfterRefusals && System.nanoTime() < until) {
                        if (sent.incrementAndGet() == midwayAfter && midwayDone.compareAndSet(false, true)) midway.run();
                        long start = System.nanoTime();
                        var r = g.post("/v1/chat/completions", CHAT, Map.of("authorization", "Bearer " + secret));
                        load.record(r, Duration.ofNanos(System.nanoTime() - start));
                    }
                    return null;
                }));
            }
            for (var f : all) f.get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void twoGateways_oneRedis_concurrentRequests_stopAtTheBudget() throws Exception {
        Assumptions.assumeTrue(sharedRedis(), "Redis not reachable on 127.0.0.1:6379");
        String name = "shared-" + UUID.randomUUID().toString().substring(0, 8);
        String secret = "sk-" + name + "-0123456789";
        double budget = 0.5;
        try (Fixture a = gateway(6379, name, secret, budget); Fixture b = gateway(6379, name, secret, budget)) {
            var load = new Load();
            hammer(List.of(a, b), secret, load, 40, null, 0);
            assertThat(load.other().get()).isZero();
            // each request is estimated above its cost (max_tokens 20 > the mock's answer): no overshoot at all
            System.out.printf("shared budget %.3f: spent %.4f in %d answers, %d refused%n", budget, load.spent().sum(), load.ok().get(), load.refused().get());
            assertThat(load.spent().sum()).isLessThanOrEqualTo(budget + 1e-9);
            // and the budget is used, less what one last request's estimate could not fit in (about 0.03)
            assertThat(load.spent().sum()).isGreaterThan(budget - 0.05);
            // per gateway, each would have let the key spend the whole budget: 2x in all
            assertThat(load.ok().get()).isGreaterThan(5).isLessThan(30);
        }
    }

    @Test
    void redisCutMidTest_keepsServing_withinTheStatedOvershoot() throws Exception {
        Assumptions.assumeTrue(sharedRedis(), "Redis not reachable on 127.0.0.1:6379");
        String name = "cut-" + UUID.randomUUID().toString().substring(0, 8);
        String secret = "sk-" + name + "-0123456789";
        double budget = 1.0;
        try (var cut = new TcpCut(6379);
             Fixture a = gateway(cut.port(), name, secret, budget); Fixture b = gateway(cut.port(), name, secret, budget)) {
            var load = new Load();
            for (Fixture g : List.of(a, b)) {   // each gateway connects to Redis (lazily, on first use) before the load
                load.record(g.post("/v1/chat/completions", CHAT, Map.of("authorization", "Bearer " + secret)), Duration.ZERO);
            }
            assertThat(load.ok().get()).isEqualTo(2);
            var spentAtCut = new DoubleAdder();
            hammer(List.of(a, b), secret, load, 40, () -> {
                cut.cut();
                spentAtCut.add(load.spent().sum());
            }, 40);
            assertThat(load.other().get()).as("no request fails for Redis").isZero();
            assertThat(load.slow().get()).as("no request waits for Redis").isZero();
            double left = budget - spentAtCut.sum();
            System.out.printf("budget %.3f cut at %.4f: spent %.4f in %d answers, %d refused%n", budget, spentAtCut.sum(), load.spent().sum(), load.ok().get(), load.refused().get());
            assertThat(left).isPositive();
            // after the cut each gateway goes on from the shared spend it last saw: together at most one more
            // (N-1 = 1) of what was left at the cut, plus what was in flight at the cut
            assertThat(load.spent().sum()).isLessThanOrEqualTo(budget + left + 16 * 0.03);
            assertThat(load.spent().sum()).isGreaterThan(budget - 0.05);
            // and both gateways still refuse once their own view of the budget is spent
            for (Fixture g : List.of(a, b)) {
                var r = g.post("/v1/chat/completions", CHAT, Map.of("authorization", "Bearer " + secret));
                assertThat(r.statusCode()).isEqualTo(429);
            }
            // Redis back: what each gateway spent during the outage is added to the shared account with its next check
            cut.restore();
            String spentKey = "arbiter:budget:{key:static:" + name + "|d" + LocalDate.now(ZoneOffset.UTC) + "}:spent";
            try (var redis = new Redis(new RedisConfig("redis://127.0.0.1:6379", Duration.ofSeconds(1), Duration.ofSeconds(1)))) {
                double shared = 0;
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (System.nanoTime() < until) {
                    for (Fixture g : List.of(a, b)) g.post("/v1/chat/completions", CHAT, Map.of("authorization", "Bearer " + secret));
                    shared = Double.parseDouble(redis.strings().orElseThrow().sync().get(spentKey));
                    if (shared >= load.spent().sum() - 1e-6) break;
                    Thread.sleep(200);
                }
                // a command cut off after Redis ran it but before its answer came back is carried and counted again:
                // the shared count errs high, by at most what was in flight at the cut
                assertThat(shared).isBetween(load.spent().sum() - 1e-6, load.spent().sum() + 16 * 0.03);
            }
        }
    }

    @Test
    void sharedAccount_isSeededFromPostgres_whenRedisHasNone() throws Exception {
        Assumptions.assumeTrue(sharedRedis(), "Redis not reachable on 127.0.0.1:6379");
        Assumptions.assumeTrue(TestPostgres.reachable(), "PostgreSQL not reachable");
        String name = "seed-" + UUID.randomUUID().toString().substring(0, 8);
        String secret = "sk-" + name + "-0123456789";
        try (Fixture a = gateway(6379, name, secret, 1.0, TestPostgres.yaml(2))) {
            // another gateway spent 0.99 of the day's dollar before this one (or Redis) counted anything
            try (var c = TestPostgres.connect(); var ps = c.prepareStatement("INSERT INTO arbiter_spend (scope, period, spent_usd) VALUES (?, ?, 0.99)")) {
                ps.setString(1, "key:static:" + name);
                ps.setString(2, "d" + LocalDate.now(ZoneOffset.UTC));
                ps.executeUpdate();
            }
            var r = a.post("/v1/chat/completions", CHAT, Map.of("authorization", "Bearer " + secret));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
            assertThat(r.body()).contains("budget_exceeded");
        }
    }
}
