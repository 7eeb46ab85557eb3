package dev.arbiter.decide;

import dev.arbiter.db.Postgres;
import dev.arbiter.wire.Json;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Policy state and decisions in PostgreSQL. Nothing on a request's path waits for the database except feedback:
 * decisions are queued (bounded; the oldest dropped and counted while the database is away) and written in batches
 * by one writer thread, which also writes each route's policy state once a second when it changed, and at close.
 * Feedback reads a decision that is no longer in memory from here, and its once-per-kind rule is the table's key, so
 * it holds across restarts. A route's state is restored when the database is first reachable (at start, or later:
 * updates learned before then are replaced by the stored state), and only into a policy of the same kind and shape.
 */
final class PostgresDecideStore implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PostgresDecideStore.class);
    private static final int QUEUE = 10_000;

    private record Pending(String requestId, String caller, Router.Decision decision, long millis) {
    }

    private final Postgres db;
    private final InstantSource clock;
    private final List<Router> routers;
    private final ArrayBlockingQueue<Pending> queue = new ArrayBlockingQueue<>(QUEUE);
    private final Set<Router> dirty = ConcurrentHashMap.newKeySet();
    private final Thread writer;
    private volatile boolean restored;
    private volatile boolean closed;

    PostgresDecideStore(Postgres db, InstantSource clock, List<Router> routers) {
        this.db = db;
        this.clock = clock;
        this.routers = List.copyOf(routers);
        restore();
        this.writer = Thread.ofPlatform().daemon().name("arbiter-decide-store").start(this::run);
    }

    static String shape(Router r) {
        return String.join(",", r.candidates().stream().map(Catalog.Entry::name).toList()) + "/" + r.dimension();
    }

    private synchronized void restore() {
        if (restored || !db.migrated()) return;
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT policy, shape, state FROM arbiter_decide_policy WHERE route = ?")) {
            for (Router r : routers) {
                if (r.policy() == null) continue;
                ps.setString(1, r.name());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) continue;
                    if (!rs.getString(1).equals(r.policyName()) || !rs.getString(2).equals(shape(r))) {
                        log.info("route {}: stored {} state for {} not restored (now {} for {})", r.name(), rs.getString(1), rs.getString(2),
                                r.policyName(), shape(r));
                        continue;
                    }
                    Double[] boxed = (Double[]) rs.getArray(3).getArray();
                    double[] state = new double[boxed.length];
                    for (int i = 0; i < state.length; i++) state[i] = boxed[i];
                    r.policy().load(state);
                }
            }
            restored = true;
        } catch (SQLException | RuntimeException e) {
            log.warn("decision engine: policy state not restored yet: {}", e.toString());
        }
    }

    void decided(String requestId, String caller, Router router, Router.Decision d) {
        if (router.policy() != null) dirty.add(router);
        while (!queue.offer(new Pending(requestId, caller, d, clock.millis()))) queue.poll();
    }

    void learned(Router router) {
        if (router.policy() != null) dirty.add(router);
    }

    /** A decision no longer in memory, with its caller. */
    Optional<Decisions.Entry> find(String requestId, java.util.function.Function<String, Router> routers) {
        if (!db.migrated()) return Optional.empty();
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT caller, decision::text FROM arbiter_decide_decision WHERE request_id = ?")) {
            ps.setString(1, requestId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return Optional.empty();
                Router.Decision d = DecisionJson.read(Json.parse(rs.getString(2)));
                Router r = routers.apply(d.route());
                if (r == null || r.candidates().size() != d.candidates().size()) return Optional.empty();
                return Optional.of(new Decisions.Entry(rs.getString(1), r, d, ConcurrentHashMap.newKeySet()));
            }
        } catch (SQLException | RuntimeException e) {
            log.warn("decision engine: decision {} not read: {}", dev.arbiter.error.Untrusted.text(requestId), e.toString());
            return Optional.empty();
        }
    }

    /** Records feedback of a kind once; false when that kind was already given, empty when the database failed. */
    Optional<Boolean> feedback(String requestId, String kind, double quality, String comment) {
        if (!db.migrated()) return Optional.empty();
        try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO arbiter_decide_feedback (request_id, kind, quality, comment, ts) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
            ps.setString(1, requestId);
            ps.setString(2, kind);
            ps.setDouble(3, quality);
            ps.setString(4, comment);
            ps.setTimestamp(5, new Timestamp(clock.millis()));
            return Optional.of(ps.executeUpdate() == 1);
        } catch (SQLException e) {
            log.warn("decision engine: feedback not stored: {}", e.toString());
            return Optional.empty();
        }
    }

    private void run() {
        while (!closed) {
            try {
                Thread.sleep(1000);
                flush();
            } catch (InterruptedException e) {
                break;
            } catch (RuntimeException e) {
                log.warn("decision engine writer: {}", e.toString());
            }
        }
    }

    /** Writes queued decisions and changed policy states; what fails stays for the next try (decisions within the bound). */
    synchronized void flush() {
        if (!db.migrated()) return;
        restore();
        var batch = new ArrayList<Pending>();
        queue.drainTo(batch);
        try (Connection c = db.dataSource().getConnection()) {
            if (!batch.isEmpty()) {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO arbiter_decide_decision (request_id, caller, route, decision, ts) "
                        + "VALUES (?, ?, ?, ?::jsonb, ?) ON CONFLICT (request_id) DO NOTHING")) {
                    for (Pending p : batch) {
                        ps.setString(1, p.requestId());
                        ps.setString(2, p.caller());
                        ps.setString(3, p.decision().route());
                        ps.setString(4, Json.string(DecisionJson.write(p.decision())));
                        ps.setTimestamp(5, new Timestamp(p.millis()));
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
                batch.clear();
            }
            var changed = new ArrayList<>(dirty);
            dirty.removeAll(changed);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO arbiter_decide_policy (route, policy, shape, state, updated_at) "
                    + "VALUES (?, ?, ?, ?, ?) ON CONFLICT (route) DO UPDATE SET policy = EXCLUDED.policy, shape = EXCLUDED.shape, "
                    + "state = EXCLUDED.state, updated_at = EXCLUDED.updated_at")) {
                for (Router r : changed) {
                    double[] s = r.policy().save();
                    Double[] boxed = new Double[s.length];
                    for (int i = 0; i < s.length; i++) boxed[i] = s[i];
                    Array array = c.createArrayOf("float8", boxed);
                    ps.setString(1, r.name());
                    ps.setString(2, r.policyName());
                    ps.setString(3, shape(r));
                    ps.setArray(4, array);
                    ps.setTimestamp(5, new Timestamp(clock.millis()));
                    ps.addBatch();
                }
                ps.executeBatch();
            } catch (SQLException e) {
                dirty.addAll(changed);
                throw e;
            }
        } catch (SQLException e) {
            for (Pending p : batch) if (!queue.offer(p)) break;
            log.warn("decision engine: PostgreSQL unavailable: {}", e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse(""));
        }
    }

    @Override
    public void close() {
        closed = true;
        writer.interrupt();
        try {
            writer.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        flush();
    }
}
