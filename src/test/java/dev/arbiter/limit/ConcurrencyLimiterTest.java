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
}
