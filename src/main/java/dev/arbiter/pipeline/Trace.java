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
 *
 * <p>Spans: when tracing is on, the tracing stage sets the request's {@link TraceContext}. From then on, if the trace is
 * sampled, each stage's run is kept with its start, end and the run it ran inside (from the clock readings the pipeline
 * takes anyway for the stage times), and each attempt gets a span id of its own at its start, which its upstream call
 * carries; the tracing stage turns {@link #spans()} into exported spans when the answer is complete. Without a context
 * nothing of this is kept.
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
    private TraceContext context;
    /** Stage runs in the order they started; null unless the trace is sampled. */
    private volatile List<StageRun> runs;
    /** The innermost stage run not yet ended, -1 when none. */
    private int openRun = -1;

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
        var a = new Attempt(this, attempts.size() + 1, model, deployment, provider, nanos.getAsLong(),
                context == null ? null : context.child(), openRun);
        attempts.add(a);
        return a;
    }

    /** Sets the request's span context (tracing on): later stage runs and attempts are recorded as spans of it. */
    public synchronized void context(TraceContext c) {
        this.context = c;
        if (c.sampled() && runs == null) runs = new ArrayList<>(12);
    }

    /** The request's span context, when tracing is on. */
    public synchronized Optional<TraceContext> context() {
        return Optional.ofNullable(context);
    }

    /** Marks a stage's start (the pipeline's clock reading); returns its run's number, -1 when no spans are kept. */
    int stageStarted(String stage, long startNanos) {
        if (runs == null) return -1;   // the common case, tracing off: one volatile read, no lock
        synchronized (this) {
            runs.add(new StageRun(stage, openRun, startNanos));
            openRun = runs.size() - 1;
            return openRun;
        }
    }

    /**
     * Marks a stage's end: adds {@code ownNanos} to its time and, when its run was kept, ends the run at {@code endNanos}
     * ({@code failed} when an exception left the stage).
     */
    synchronized void stageEnded(int run, String stage, long ownNanos, long endNanos, boolean failed) {
        stageNanos.merge(stage, ownNanos, Long::sum);
        if (run < 0 || runs == null) return;
        StageRun r = runs.get(run);
        r.end = endNanos;
        r.failed = failed;
        openRun = r.parent;
    }

    /** The spans recorded so far: the context, each stage run and each attempt with its span id; empty without a context. */
    public synchronized Optional<Spans> spans() {
        if (context == null) return Optional.empty();
        var stages = new ArrayList<StageSpan>(runs == null ? 0 : runs.size());
        if (runs != null) for (StageRun r : runs) stages.add(new StageSpan(r.stage, r.parent, r.start, r.end, r.failed));
        var out = new ArrayList<AttemptSpan>(attempts.size());
        for (Attempt a : attempts) out.add(new AttemptSpan(a.record(), a.context, a.parentRun, a.responseModel));
        return Optional.of(new Spans(context, stages, out));
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

    /** Hands each stage's own time to {@code each} without copying them (the metrics sink's per-request path). */
    public synchronized void forEachStageTime(java.util.function.BiConsumer<String, Long> each) {
        stageNanos.forEach(each);
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

    /** A stage's run while it is recorded; {@code end} is -1 until it ends. */
    private static final class StageRun {
        final String stage;
        final int parent;
        final long start;
        long end = -1;
        boolean failed;

        StageRun(String stage, int parent, long start) {
            this.stage = stage;
            this.parent = parent;
            this.start = start;
        }
    }

    /**
     * A request's spans as they stood when read: its context, each stage run (outer to inner as they started) and each
     * attempt.
     */
    public record Spans(TraceContext context, List<StageSpan> stages, List<AttemptSpan> attempts) {
        public Spans {
            stages = List.copyOf(stages);
            attempts = List.copyOf(attempts);
        }
    }

    /**
     * One run of a stage: {@code parent} is the number of the run it ran inside (an index into {@link Spans#stages()}),
     * -1 for the outermost; times on the trace's clock, {@code endNanos} -1 while it runs; {@code failed} when an
     * exception left it.
     */
    public record StageSpan(String stage, int parent, long startNanos, long endNanos, boolean failed) {}

    /**
     * One attempt's span: its record, its context (the one its upstream call carried), the stage run it was made in
     * (-1 when none was recorded) and the model the upstream said answered (null when it did not say).
     */
    public record AttemptSpan(AttemptRecord attempt, TraceContext context, int parentStage, String responseModel) {}

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
        private final TraceContext context;
        private final int parentRun;
        private String responseModel;

        private Attempt(Trace trace, int number, String model, String deployment, String provider, long start,
                        TraceContext context, int parentRun) {
            this.trace = trace;
            this.number = number;
            this.model = model;
            this.deployment = deployment;
            this.provider = provider;
            this.start = start;
            this.context = context;
            this.parentRun = parentRun;
        }

        /** The span context of this attempt's upstream call, when tracing is on. */
        public Optional<TraceContext> context() {
            return Optional.ofNullable(context);
        }

        /** The exchange as this attempt's provider gets it: carrying the attempt's span context when tracing is on. */
        public Exchange propagate(Exchange exchange) {
            return context == null ? exchange : exchange.with(TraceContext.UPSTREAM, context);
        }

        /** Whether the model that answered is still wanted for this attempt's span (sampled, and not yet known). */
        public boolean wantsResponseModel() {
            if (context == null || !context.sampled()) return false;
            synchronized (trace) {
                return responseModel == null;
            }
        }

        /** Records the model the upstream said answered (for the attempt's span); the first one counts. */
        public void responseModel(String m) {
            if (context == null || m == null) return;
            synchronized (trace) {
                if (responseModel == null) responseModel = m;
            }
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
