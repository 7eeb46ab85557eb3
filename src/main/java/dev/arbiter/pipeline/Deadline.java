package dev.arbiter.pipeline;

import dev.arbiter.error.ArbiterException;
import java.time.Duration;
import java.util.function.LongSupplier;

/** The instant, on a monotonic nano clock, by which a request must be answered. */
public record Deadline(long atNanos, LongSupplier clock) {

    public static Deadline after(Duration d, LongSupplier clock) {
        return new Deadline(clock.getAsLong() + d.toNanos(), clock);
    }

    /** Time left; zero or negative once passed. */
    public Duration remaining() {
        return Duration.ofNanos(atNanos - clock.getAsLong());
    }

    public boolean passed() {
        return atNanos - clock.getAsLong() <= 0;
    }

    /** Throws {@link ArbiterException.DeadlineExceeded} once passed. */
    public void check(String during) {
        if (passed()) throw new ArbiterException.DeadlineExceeded("request deadline exceeded " + during);
    }

    /** The shorter of the time left and {@code limit}. */
    public Duration cap(Duration limit) {
        Duration left = remaining();
        return left.compareTo(limit) < 0 ? left : limit;
    }
}
