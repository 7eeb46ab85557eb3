package dev.arbiter.observe;

import dev.arbiter.db.Postgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every request's record in PostgreSQL ({@code arbiter_request_log}), written off the request's path. {@link #record}
 * copies the outcome's fields into a small {@link Row} and offers it to a bounded queue: a full queue drops it and
 * counts the drop, so a request never waits for the database. One writer thread wakes every {@link #FLUSH_EVERY}, takes
 * what queued up and writes it with one binary {@code COPY} per batch of up to {@link #BATCH} rows, in one transaction
 * that need not wait for its commit record to reach disk. While PostgreSQL is slow or down the rows wait, bounded by the
 * same budget, and go in once it is back; rows older than the retention are dropped hourly, a day partition at a time
 * ({@link DayPartitions}).
 *
 * <p>Why it is built this way (measured with bench/run.sh's gateway-chat-logged beside gateway-chat, PostgreSQL on the
 * same two cores as the gateway): a writer blocked on the queue was woken by every request and wrote a few rows per
 * transaction, each a synchronous commit, so each request paid a thread wake-up and PostgreSQL a transaction and a WAL
 * flush per row or two. Now a request takes the queue's lock and returns (the writer is never blocked on the queue, so
 * there is no one to signal), the trace and outcome are not kept alive until the write, and PostgreSQL gets a few
 * {@code COPY}s a second. The writer, not the request, turns the fields into bytes.
 *
 * <p>Hand-written rather than a logging appender to a database: the rows are typed columns for spend and usage
 * queries, and the bound, the drop count and the retry are the point.
 */
public final class RequestLog implements OutcomeSink, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RequestLog.class);
    /** How often the writer wakes: rows reach the table this much after their request, and PostgreSQL gets a few COPYs a second. */
    static final Duration FLUSH_EVERY = Duration.ofMillis(250);
    /** Rows per COPY (and transaction): bounds what one failure makes the writer send again. */
    static final int BATCH = 5_000;
    private static final long MILLIS_PER_DAY = 86_400_000L;
    private static final String COPY = "COPY arbiter_request_log (request_id, ts, caller, api, operation, requested_model, model,"
            + " deployment, provider, stream, status, error, input_tokens, output_tokens, estimated, cost_usd, latency_ms, ttft_ms,"
            + " attempts, cache) FROM STDIN (FORMAT binary)";

    /** What a row holds: the outcome's fields, without its trace, so nothing else of the request stays alive until the write. */
    record Row(String requestId, long epochMillis, String caller, String api, String operation, String requestedModel, String model,
               String deployment, String provider, boolean streamed, int status, String error, long inputTokens, long outputTokens,
               boolean estimated, double costUsd, long latencyNanos, long ttftNanos, int attempts, String cache) {
        static Row of(Outcome o, long epochMillis) {
            return new Row(o.requestId(), epochMillis, o.caller(), o.api(), o.operation(), o.requestedModel(), o.model(),
                    o.deployment(), o.provider(), o.streamed(), o.status(), o.error(), o.usage().inputTokens(),
                    o.usage().outputTokens(), o.usage().estimated(), o.costUsd(), o.latencyNanos(), o.ttftNanos(), o.attempts(),
                    o.trace().cache().orElse(null));
        }

        /** The row in the table's column order and types (V1, V40). */
        void encode(BinaryCopy out) {
            out.row(20).text(requestId).timestamptz(epochMillis).text(caller).text(api).text(operation).text(requestedModel)
                    .text(model).text(deployment).text(provider).bool(streamed).int4(status).text(error).int8(inputTokens)
                    .int8(outputTokens).bool(estimated).float8(costUsd).float8(latencyNanos / 1e6);
            if (ttftNanos >= 0) out.float8(ttftNanos / 1e6);
            else out.nul();
            out.int4(attempts).text(cache);
        }
    }

    private final Postgres db;
    private final ObserveConfig config;
    private final InstantSource clock;
    private final ArrayBlockingQueue<Row> queue;
    /** Rows taken from the queue but not yet written (the database failed): retried first, within the same bound. */
    private final ArrayDeque<Row> pending = new ArrayDeque<>();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final BinaryCopy copy = new BinaryCopy();
    private final DayPartitions partitions = new DayPartitions();
    private final Thread writer;
    private volatile boolean closed;
    private long lastRetention;

    public RequestLog(Postgres db, ObserveConfig config, InstantSource clock) {
        this.db = db;
        this.config = config;
        this.clock = clock;
        this.queue = new ArrayBlockingQueue<>(config.bufferSize());
        this.writer = Thread.ofPlatform().daemon().name("arbiter-request-log").start(this::run);
    }

    @Override
    public void record(Outcome o) {
        if (!queue.offer(Row.of(o, clock.millis()))) dropped.incrementAndGet();
    }

    /** Records dropped because the buffer was full (PostgreSQL slow or down for long). */
    public long dropped() {
        return dropped.get();
    }

    /** Records written so far. */
    public long written() {
        return written.get();
    }

    private void run() {
        long tick = FLUSH_EVERY.toNanos();
        while (!closed) {
            // parked, not blocked on the queue: an offer then finds no waiting writer to wake
            LockSupport.parkNanos(this, tick);
            try {
                flush();
            } catch (RuntimeException e) {
                log.warn("request log writer: {}", e.toString());
            }
        }
        flush();
    }

    /** Writes what is pending and queued, in batches; on failure keeps the rows for the next try. */
    private void flush() {
        var drained = new ArrayList<Row>(queue.size());
        queue.drainTo(drained);
        pending.addAll(drained);
        // the same bound while the database is away: the oldest beyond it are dropped and counted
        while (pending.size() > config.bufferSize()) {
            pending.poll();
            dropped.incrementAndGet();
        }
        if (pending.isEmpty() || !db.migrated()) return;
        try (Connection c = db.dataSource().getConnection()) {
            ensurePartitions(c);
            c.setAutoCommit(false);
            try {
                while (!pending.isEmpty()) writeBatch(c);
            } finally {
                c.rollback();   // nothing left to undo after the last commit; a failed batch's transaction ends here
                c.setAutoCommit(true);
            }
            retention(c);
        } catch (SQLException e) {
            // a partition dropped behind this writer's back (by hand, or another gateway's retention): check them all again
            if ("23514".equals(e.getSQLState())) partitions.forget();
            log.warn("request log: PostgreSQL unavailable ({} records waiting, {} dropped so far): {}", pending.size(), dropped.get(),
                    e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /** Creates the day partitions the pending rows need, outside the COPY's transaction (as DDL of its own). */
    private void ensurePartitions(Connection c) throws SQLException {
        long last = Long.MIN_VALUE;
        for (Row r : pending) {
            long day = Math.floorDiv(r.epochMillis(), MILLIS_PER_DAY);   // rows come in time order: one check per day, not per row
            if (day != last) partitions.ensure(c, java.time.LocalDate.ofEpochDay(day));
            last = day;
        }
    }

    /** One COPY of up to BATCH pending rows in one transaction; the rows leave {@code pending} only once it committed. */
    private void writeBatch(Connection c) throws SQLException {
        int n = Math.min(BATCH, pending.size());
        copy.begin();
        int i = 0;
        for (Row r : pending) {
            if (i++ == n) break;
            r.encode(copy);
        }
        copy.end();
        try (Statement s = c.createStatement()) {
            // The log is best-effort by design (a full buffer drops rows too): a crash may lose the last few hundred
            // milliseconds of rows, and in exchange the commit does not wait for the WAL flush. LOCAL: only this
            // transaction, never the pooled connection's later users.
            s.execute("SET LOCAL synchronous_commit = off");
        }
        CopyIn in = c.unwrap(PGConnection.class).getCopyAPI().copyIn(COPY);
        try {
            in.writeToCopy(copy.bytes(), 0, copy.size());
            in.endCopy();
        } finally {
            if (in.isActive()) in.cancelCopy();
        }
        c.commit();
        for (int k = 0; k < n; k++) pending.poll();
        written.addAndGet(n);
    }

    private void retention(Connection c) throws SQLException {
        long now = clock.millis();
        if (now - lastRetention < Duration.ofHours(1).toMillis()) return;
        lastRetention = now;
        // tomorrow's partition ahead of time, so midnight takes no DDL on the write path
        partitions.ensure(c, DayPartitions.day(now).plusDays(1));
        var dropped = partitions.dropBefore(c, now - config.retention().toMillis());
        if (!dropped.isEmpty()) log.info("request log retention {}: dropped {}", config.retention(), dropped);
    }

    /** Writes what is buffered (as far as PostgreSQL lets it) and stops the writer. */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(writer);
        try {
            writer.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
