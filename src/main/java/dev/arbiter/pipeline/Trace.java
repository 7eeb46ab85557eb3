package dev.arbiter.pipeline;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * What happened to one request, appended to by every stage as it goes: who sent it, the route's decision, each attempt (the
 * deployment tried, when it started, when its first byte came, how it ended), the cache outcome, notes, and how
 * long each stage took. Created with the request's exchange and carried by every copy of it, so the outer stages
 * read it after the inner ones have failed as well as after they have answered; the outcome sinks (access log,
 * metrics, request log) read it last.
 *
 * <p>Concurrency: a request's stages run on its own thread, but a stream's frames (and so an attempt's first byte
 * and end) may be read on another, and a hedge or a shared single-flight call may add attempts from a third. Every
 * method is synchronized on the trace; a request takes a handful of them, uncontended.
 */
public final class Trace {
    private final LongSupplier nanos;
    private final long startNanos;
    private final List<Attempt> attempts = new ArrayList<>(2);
    private final Map<String, Long> stageNanos = new LinkedHashMap<>();
    private final Map<String, String> notes = new LinkedHashMap<>();
    private Decision decision;
    private String cache;
    private Caller caller;

    public Trace(LongSupplier nanos) {
        this.nanos = nanos;
        this.startNanos = nanos.getAsLong();
    }

    /** The clock the trace reads (the gateway's). */
    public LongSupplier clock() {
        return nanos;
    }

    public long startNanos() {
        return startNanos;
    }

    /** Records who the request was found to come from (the identifying stage's answer). */
    public synchronized void identified(Caller c) {
        this.caller = c;
    }

    /** The caller an identifying stage resolved, if one ran. */
    public synchronized Optional<Caller> caller() {
        return Optional.ofNullable(caller);
    }

    /** Records what routing decided: the ranked candidates and why. */
    public synchronized void decided(Decision d) {
        this.decision = d;
    }

    public synchronized Optional<Decision> decision() {
        return Optional.ofNullable(decision);
    }

    /** Starts the record of one attempt at a deployment; the caller marks its first byte and its end. */
    public synchronized Attempt begin(String model, String deployment, String provider) {
        var a = new Attempt(this, attempts.size() + 1, model, deployment, provider, nanos.getAsLong());
        attempts.add(a);
        return a;
    }

    /** A snapshot of the attempts so far, in the order they started. */
    public synchronized List<AttemptRecord> attempts() {
        var out = new ArrayList<AttemptRecord>(attempts.size());
        for (Attempt a : attempts) out.add(a.record());
        return out;
    }

    /** The most recent attempt, if any was made. */
    public synchronized Optional<AttemptRecord> lastAttempt() {
        return attempts.isEmpty() ? Optional.empty() : Optional.of(attempts.getLast().record());
    }

    /** Adds {@code nanos} to the time recorded for {@code stage} (its own time, without the stages inside it). */
    public synchronized void stageTime(String stage, long nanos) {
        stageNanos.merge(stage, nanos, Long::sum);
    }

    /** Each stage's own time so far, outer to inner. */
    public synchronized Map<String, Long> stageTimes() {
        return Map.copyOf(stageNanos);
    }

    /** The cache outcome (e.g. {@code hit}, {@code miss}, {@code semantic-hit}), once a cache stage set it. */
    public synchronized void cache(String outcome) {
        this.cache = outcome;
    }

    public synchronized Optional<String> cache() {
        return Optional.ofNullable(cache);
    }

    /** A short fact a stage wants recorded (e.g. {@code dedup=joined}); later notes of the same name replace earlier. */
    public synchronized void note(String name, String value) {
        notes.put(name, value);
    }

    public synchronized Map<String, String> notes() {
        return Map.copyOf(notes);
    }

    /**
     * What routing decided for a request: the selector that ranked, the logical model, the candidate deployments
     * in the order they are to be tried, and any scores the selector gave them.
     */
    public record Decision(String selector, String model, List<String> candidates, Map<String, Double> scores) {
        public Decision {
            candidates = List.copyOf(candidates);
            scores = Map.copyOf(scores);
        }
    }

    /** One attempt as it stood when read. Times are on the trace's clock; -1 where not (yet) reached. */
    public record AttemptRecord(int number, String model, String deployment, String provider, long startNanos,
                                long firstByteNanos, long endNanos, int status, String error) {
        /** Whether the attempt has ended and succeeded. */
        public boolean succeeded() {
            return endNanos >= 0 && error == null;
        }
    }

    /** The live record of one attempt, marked by the stage that makes it. */
    public static final class Attempt {
        private final Trace trace;
        private final int number;
        private final String model;
        private final String deployment;
        private final String provider;
        private final long start;
        private long firstByte = -1;
        private long end = -1;
        private int status;
        private String error;

        private Attempt(Trace trace, int number, String model, String deployment, String provider, long start) {
            this.trace = trace;
            this.number = number;
            this.model = model;
            this.deployment = deployment;
            this.provider = provider;
            this.start = start;
        }

        /** Marks the first byte of the answer (the headers of a complete answer, the first frame of a stream). */
        public void firstByte() {
            synchronized (trace) {
                if (firstByte < 0) firstByte = trace.nanos.getAsLong();
            }
        }

        /** Marks the end: {@code error} is null for success. Only the first end counts. */
        public void end(int status, String error) {
            synchronized (trace) {
                if (end >= 0) return;
                end = trace.nanos.getAsLong();
                if (firstByte < 0 && error == null) firstByte = end;
                this.status = status;
                this.error = error;
            }
        }

        AttemptRecord record() {
            return new AttemptRecord(number, model, deployment, provider, start, firstByte, end, status, error);
        }
    }
}
