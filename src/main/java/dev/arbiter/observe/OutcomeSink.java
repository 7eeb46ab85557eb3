package dev.arbiter.observe;

/** Receives every request's {@link Outcome}. A sink that throws never fails the request: it is logged. */
@FunctionalInterface
public interface OutcomeSink {
    void record(Outcome outcome);
}
