package dev.arbiter.limit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arbiter.auth.Priority;
import dev.arbiter.error.ArbiterException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The in-flight limit's queue by priority class: weighted fair order, low displaced first, depth per class. */
class PriorityQueueingTest {
    private static void awaitWaiting(ConcurrencyLimiter l, int n) throws InterruptedException {
        long until = System.nanoTime() + 5_000_000_000L;
        while (l.waiting() < n && System.nanoTime() < until) Thread.sleep(5);
        assertThat(l.waiting()).isEqualTo(n);
    }

    @Test
    void release_servesClassesByWeight_lowIsNotStarved() throws Exception {
        var l = new ConcurrencyLimiter("t", 1, 100, Duration.ofSeconds(30));
        var held = l.acquire(Duration.ofSeconds(1));
        List<Priority> served = Collections.synchronizedList(new ArrayList<>());
        var done = new CountDownLatch(40);
        for (int i = 0; i < 20; i++) {
            for (Priority p : new Priority[] {Priority.LOW, Priority.CRITICAL}) {
                Thread.ofVirtual().start(() -> {
                    try (var permit = l.acquire(Duration.ofSeconds(30), p)) {
                        served.add(p);
                    } finally {
                        done.countDown();
                    }
                });
            }
        }
        awaitWaiting(l, 40);
        assertThat(l.waiting(Priority.LOW)).isEqualTo(20);
        assertThat(l.waiting(Priority.CRITICAL)).isEqualTo(20);
        held.close();
        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
        List<Priority> first9 = served.subList(0, 9);
        assertThat(first9.stream().filter(p -> p == Priority.CRITICAL).count()).isEqualTo(8);
        assertThat(first9).contains(Priority.LOW);
        assertThat(l.inFlight()).isZero();
    }

    @Test
    void queueFull_higherPriorityDisplacesTheNewestLow() throws Exception {
        var l = new ConcurrencyLimiter("t", 1, 2, Duration.ofSeconds(30));
        var held = l.acquire(Duration.ofSeconds(1));
        List<String> outcomes = Collections.synchronizedList(new ArrayList<>());
        var lows = new ArrayList<Thread>();
        for (int i = 0; i < 2; i++) {
            int n = i;
            lows.add(Thread.ofVirtual().start(() -> {
                try (var p = l.acquire(Duration.ofSeconds(30), Priority.LOW)) {
                    outcomes.add("low" + n);
                } catch (ArbiterException.Overloaded e) {
                    outcomes.add("low" + n + " shed: " + e.getMessage());
                }
            }));
            awaitWaiting(l, i + 1);
        }
        // a normal request with the queue full of lows takes the newest low's place
        var critical = Thread.ofVirtual().start(() -> {
            try (var p = l.acquire(Duration.ofSeconds(30), Priority.NORMAL)) {
                outcomes.add("normal");
            }
        });
        lows.get(1).join(5000);
        assertThat(outcomes).containsExactly("low1 shed: t is at capacity (1 in flight, displaced by a request of higher priority); retry later");
        awaitWaiting(l, 2);
        // another low finds nobody below it: shed at once
        assertThatThrownBy(() -> l.acquire(Duration.ofSeconds(30), Priority.LOW)).isInstanceOf(ArbiterException.Overloaded.class);
        held.close();
        critical.join(5000);
        lows.get(0).join(5000);
        assertThat(outcomes.subList(1, 3)).containsExactly("normal", "low0");
    }
}
