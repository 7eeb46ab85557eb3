package dev.arbiter.observe;

import dev.arbiter.db.Postgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every request's record in PostgreSQL ({@code arbiter_request_log}), written off the request's path: {@link #record}
 * only offers the row to a bounded queue (a full queue drops it and counts the drop, so a request never waits for
 * the database); one writer thread drains the queue every second in batched inserts on the shared pool. While
 * PostgreSQL is slow or down the rows wait, bounded by the same budget, and go in once it is back; rows older than
 * the retention are dropped hourly, a day partition at a time ({@link DayPartitions}).
 *
 * <p>Hand-written rather than a logging appender to a database: the rows are typed columns for spend and usage
 * queries, and the bound, the drop count and the retry are the point.
 */
public final class RequestLog implements OutcomeSink, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RequestLog.class);
    private static final int BATCH = 500;
    private static final String INSERT = "INSERT INTO arbiter_request_log (request_id, ts, caller, api, operation, requested_model,"
            + " model, deployment, provider, stream, status, error, input_tokens, output_tokens, estimated, cost_usd, latency_ms,"
            + " ttft_ms, attempts, cache) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

    private record Row(Outcome o, long epochMillis) {}

    private final Postgres db;
    private final ObserveConfig config;
    private final InstantSource clock;
    private final ArrayBlockingQueue<Row> queue;
    /** Rows taken from the queue but not yet written (the database failed): retried first, within the same bound. */
    private final ArrayDeque<Row> pending = new ArrayDeque<>();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final Thread writer;
    private volatile boolean closed;
    private long lastRetention;
    private final DayPartitions partitions = new DayPartitions();

    public RequestLog(Postgres db, ObserveConfig config, InstantSource clock) {
        this.db = db;
        this.config = config;
        this.clock = clock;
        this.queue = new ArrayBlockingQueue<>(config.bufferSize());
        this.writer = Thread.ofPlatform().daemon().name("arbiter-request-log").start(this::run);
    }

    @Override
    public void record(Outcome o) {
        if (!queue.offer(new Row(o, clock.millis()))) dropped.incrementAndGet();
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
        while (!closed) {
            try {
                Row first = queue.poll(1, TimeUnit.SECONDS);
                if (first != null) pending.add(first);
                flush();
            } catch (InterruptedException e) {
                break;
            } catch (RuntimeException e) {
                log.warn("request log writer: {}", e.toString());
            }
        }
        flush();
    }

    /** Writes what is pending and queued, in batches; on failure keeps the rows for the next try. */
    private void flush() {
        var drained = new ArrayList<Row>();
        queue.drainTo(drained);
        pending.addAll(drained);
        // the same bound while the database is away: the oldest beyond it are dropped and counted
        while (pending.size() > config.bufferSize()) {
            pending.poll();
            dropped.incrementAndGet();
        }
        if (pending.isEmpty() || !db.migrated()) return;
        try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(INSERT)) {
            while (!pending.isEmpty()) {
                List<Row> batch = new ArrayList<>(Math.min(BATCH, pending.size()));
                for (Row r : pending) {
                    if (batch.size() == BATCH) break;
                    batch.add(r);
                    partitions.ensure(c, DayPartitions.day(r.epochMillis()));
                }
                for (Row r : batch) bind(ps, r);
                ps.executeBatch();
                for (int i = 0; i < batch.size(); i++) pending.poll();
                written.addAndGet(batch.size());
            }
            retention(c);
        } catch (SQLException e) {
            log.warn("request log: PostgreSQL unavailable ({} records waiting, {} dropped so far): {}", pending.size(), dropped.get(),
                    e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse(""));
        }
    }

    private static void bind(PreparedStatement ps, Row r) throws SQLException {
        Outcome o = r.o();
        ps.setString(1, o.requestId());
        ps.setTimestamp(2, new Timestamp(r.epochMillis()));
        ps.setString(3, o.caller());
        ps.setString(4, o.api());
        ps.setString(5, o.operation());
        ps.setString(6, o.requestedModel());
        ps.setString(7, o.model());
        ps.setString(8, o.deployment());
        ps.setString(9, o.provider());
        ps.setBoolean(10, o.streamed());
        ps.setInt(11, o.status());
        ps.setString(12, o.error());
        ps.setLong(13, o.usage().inputTokens());
        ps.setLong(14, o.usage().outputTokens());
        ps.setBoolean(15, o.usage().estimated());
        ps.setDouble(16, o.costUsd());
        ps.setDouble(17, o.latencyNanos() / 1e6);
        if (o.ttftNanos() >= 0) ps.setDouble(18, o.ttftNanos() / 1e6);
        else ps.setNull(18, Types.DOUBLE);
        ps.setInt(19, o.attempts());
        ps.setString(20, o.trace().cache().orElse(null));
        ps.addBatch();
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
        writer.interrupt();
        try {
            writer.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
