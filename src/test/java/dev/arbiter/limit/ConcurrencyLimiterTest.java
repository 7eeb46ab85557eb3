package dev.arbiter.limit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arbiter.error.ArbiterException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ConcurrencyLimiterTest {
    @Test
    void acquire_queueFull_shedsAtOnce() throws Exception {
        var limiter = new ConcurrencyLimiter("test", 1, 0, Duration.ofSeconds(5));
        try (var held = limiter.acquire(Duration.ofSeconds(5))) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> limiter.acquire(Duration.ofSeconds(5)))
                    .isInstanceOf(ArbiterException.Overloaded.class)
                    .hasMessageContaining("test is at capacity");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
        }
        assertThat(limiter.inFlight()).isZero();
    }

    @Test
    void acquire_waitingCallerGetsSlotWhenReleased() throws Exception {
        var limiter = new ConcurrencyLimiter("test", 1, 1, Duration.ofSeconds(5));
        var held = limiter.acquire(Duration.ofSeconds(5));
        var got = new CountDownLatch(1);
        Thread.ofVirtual().start(() -> {
            try (var p = limiter.acquire(Duration.ofSeconds(5))) {
                got.countDown();
            }
        });
        while (limiter.waiting() == 0) Thread.onSpinWait();
        held.close();
        assertThat(got.await(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void acquire_waitTimesOut_overloadedWithRetryAfter() {
        var limiter = new ConcurrencyLimiter("test", 1, 4, Duration.ofMillis(50));
        try (var held = limiter.acquire(Duration.ofSeconds(5))) {
            assertThatThrownBy(() -> limiter.acquire(Duration.ofSeconds(5)))
                    .isInstanceOfSatisfying(ArbiterException.Overloaded.class,
                            e -> assertThat(e.retryAfter()).isPositive());
        }
        assertThat(limiter.waiting()).isZero();
    }

    @Test
    void permit_closedTwice_releasesOnce() {
        var limiter = new ConcurrencyLimiter("test", 2, 0, Duration.ZERO);
        var p = limiter.acquire(Duration.ZERO);
        p.close();
        p.close();
        assertThat(limiter.inFlight()).isZero();
        try (var a = limiter.acquire(Duration.ZERO); var b = limiter.acquire(Duration.ZERO)) {
            assertThat(limiter.inFlight()).isEqualTo(2);
        }
    }

    @Test
    void limit_raised_grantsWaitersAtOnce_lowered_grantsNoneUntilBelow() throws Exception {
        var limiter = new ConcurrencyLimiter("test", 1, 4, Duration.ofSeconds(5));
        var held = limiter.acquire(Duration.ZERO);
        var got = new CountDownLatch(2);
        for (int i = 0; i < 2; i++) {
            Thread.ofVirtual().start(() -> {
                limiter.acquire(Duration.ofSeconds(5));   // held until the end of the test
                got.countDown();
            });
        }
        while (limiter.waiting() < 2) Thread.onSpinWait();
        limiter.limit(3);
        assertThat(got.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(limiter.inFlight()).isEqualTo(3);
        assertThat(limiter.full()).isTrue();

        limiter.limit(1);   // three out, one allowed: permits are not taken back, but nobody new gets one
        held.close();
        assertThat(limiter.inFlight()).isEqualTo(2);
        assertThatThrownBy(() -> limiter.acquire(Duration.ofMillis(20))).isInstanceOf(ArbiterException.Overloaded.class);
    }

    @Test
    void queueTimeouts_perClass_lowGivesUpFirst() {
        Duration[] t = {Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMillis(30)};
        var limiter = new ConcurrencyLimiter("test", 1, 4, t, System::nanoTime);
        try (var held = limiter.acquire(Duration.ZERO)) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> limiter.acquire(Duration.ofSeconds(5), dev.arbiter.auth.Priority.LOW))
                    .isInstanceOf(ArbiterException.Overloaded.class).hasMessageContaining("timed out waiting");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
        }
    }

    @Test
    void adaptive_dropsBackOff_answersGrowBack() {
        var config = new ConcurrencyConfig(true, 20, 1, 200, 0.5, 100);
        long[] now = {0};
        var limiter = AdaptiveLimit.limiter("test", config, 0, ConcurrencyLimiter.timeouts(Duration.ZERO), () -> now[0]);
        assertThat(limiter.limit()).isEqualTo(20);
        for (int i = 0; i < 3; i++) {
            var p = limiter.acquire(Duration.ZERO);
            now[0] += 1_000_000;
            p.dropped();
            p.close();
        }
        assertThat(limiter.limit()).isEqualTo(2);   // 20 -> 10 -> 5 -> 2
        assertThat(limiter.adaptive().orElseThrow().refusalLimit()).isEqualTo(2);
        for (int i = 0; i < 5; i++) {
            var p = limiter.acquire(Duration.ZERO);
            now[0] += 1_000_000;
            p.answered();
            p.close();
        }
        assertThat(limiter.limit()).isEqualTo(3);   // one step while one call was half the limit, then idle: no growth
        for (int round = 0; round < 5; round++) {
            var permits = new java.util.ArrayList<ConcurrencyLimiter.Permit>();
            for (int i = limiter.limit(); i > 0; i--) permits.add(limiter.acquire(Duration.ZERO));
            now[0] += 1_000_000;
            for (var p : permits) {
                p.answered();
                p.close();
            }
        }
        assertThat(limiter.limit()).isGreaterThan(6);   // busy: one more per answered call
    }
}
