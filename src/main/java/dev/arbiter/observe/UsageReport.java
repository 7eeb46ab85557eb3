package dev.arbiter.observe;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.admin.AdminRoute;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.error.Untrusted;
import dev.arbiter.wire.Json;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * Usage and spend from the request log ({@code arbiter_request_log}): requests, errors, tokens and cost, summed by
 * any of caller, model and day (UTC), over a range of days. What {@code GET /admin/usage} and {@code arbiter usage}
 * report. Reads PostgreSQL directly; the day partitions keep a range's query to the days it names.
 */
public final class UsageReport {
    /** What rows are grouped by. */
    public enum By {
        CALLER("caller"), MODEL("coalesce(model, '(none)')"), DAY("(ts AT TIME ZONE 'UTC')::date");

        private final String column;

        By(String column) {
            this.column = column;
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Set<By> parse(String s) {
            var out = EnumSet.noneOf(By.class);
            for (String part : s.split(",")) {
                String p = part.strip();
                if (p.isEmpty()) continue;
                try {
                    out.add(By.valueOf(p.toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new ArbiterException.BadRequest("by: '" + Untrusted.text(p, 40) + "' (expected: caller, model, day)", "by");
                }
            }
            return out;
        }
    }

    /**
     * A report's question: days {@code from} to {@code to}, both included; grouped by {@code by} (none: one total
     * row); only one caller's or one model's rows when given.
     */
    public record Query(LocalDate from, LocalDate to, Set<By> by, Optional<String> caller, Optional<String> model) {
        public Query {
            if (to.isBefore(from)) throw new ArbiterException.BadRequest("to: " + to + " is before from: " + from, "to");
            by = by.isEmpty() ? EnumSet.noneOf(By.class) : EnumSet.copyOf(by);
        }

        /** The last {@code days} days up to today (UTC), by caller, model and day. */
        public static Query lastDays(int days, LocalDate today) {
            return new Query(today.minusDays(days - 1L), today, EnumSet.allOf(By.class), Optional.empty(), Optional.empty());
        }
    }

    /** One group's sums; {@code caller}, {@code model}, {@code day} are null when not grouped by. */
    public record Row(String caller, String model, LocalDate day, long requests, long errors, long inputTokens, long outputTokens,
                      double costUsd) {
        public ObjectNode json() {
            ObjectNode o = Json.object();
            if (caller != null) o.put("caller", caller);
            if (model != null) o.put("model", model);
            if (day != null) o.put("day", day.toString());
            o.put("requests", requests).put("errors", errors).put("input_tokens", inputTokens).put("output_tokens", outputTokens)
                    .put("cost_usd", Math.round(costUsd * 1e8) / 1e8);
            return o;
        }
    }

    private final DataSource db;

    public UsageReport(DataSource db) {
        this.db = db;
    }

    public List<Row> query(Query q) throws SQLException {
        var groups = new ArrayList<String>();
        for (By b : q.by()) groups.add(b.column);
        String select = (groups.isEmpty() ? "" : String.join(", ", groups) + ", ")
                + "count(*), count(*) FILTER (WHERE status >= 400), coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0),"
                + " coalesce(sum(cost_usd), 0)";
        var sql = new StringBuilder("SELECT ").append(select).append(" FROM ").append(DayPartitions.TABLE).append(" WHERE ts >= ? AND ts < ?");
        if (q.caller().isPresent()) sql.append(" AND caller = ?");
        if (q.model().isPresent()) sql.append(" AND model = ?");
        if (!groups.isEmpty()) {
            sql.append(" GROUP BY ").append(String.join(", ", groups)).append(" ORDER BY ");
            // newest day first, then the biggest spenders
            sql.append(q.by().contains(By.DAY) ? By.DAY.column + " DESC, " : "").append(groups.size() + 5).append(" DESC");
        }
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql.toString())) {
            int i = 1;
            ps.setTimestamp(i++, Timestamp.from(q.from().atStartOfDay(ZoneOffset.UTC).toInstant()));
            ps.setTimestamp(i++, Timestamp.from(q.to().plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant()));
            if (q.caller().isPresent()) ps.setString(i++, q.caller().get());
            if (q.model().isPresent()) ps.setString(i++, q.model().get());
            var rows = new ArrayList<Row>();
            try (var rs = ps.executeQuery()) {
                while (rs.next()) {
                    int col = 1;
                    String caller = q.by().contains(By.CALLER) ? rs.getString(col++) : null;
                    String model = q.by().contains(By.MODEL) ? rs.getString(col++) : null;
                    LocalDate day = q.by().contains(By.DAY) ? rs.getObject(col++, LocalDate.class) : null;
                    rows.add(new Row(caller, model, day, rs.getLong(col), rs.getLong(col + 1), rs.getLong(col + 2), rs.getLong(col + 3),
                            rs.getDouble(col + 4)));
                }
            }
            return rows;
        }
    }

    /**
     * {@code GET /admin/usage?from=YYYY-MM-DD&to=YYYY-MM-DD&by=caller,model,day&caller=&model=}: the rows and their
     * total. {@code to} defaults to today (UTC), {@code from} to 30 days before it, {@code by} to all three.
     */
    public List<AdminRoute> adminRoutes(java.time.InstantSource clock) {
        return List.of(AdminRoute.get("usage", call -> {
            LocalDate today = DayPartitions.day(clock.millis());
            LocalDate to = date(call.query("to"), "to").orElse(today);
            LocalDate from = date(call.query("from"), "from").orElse(to.minusDays(29));
            if (from.plusDays(3660).isBefore(to)) throw new ArbiterException.BadRequest("from..to spans more than ten years", "from");
            Set<By> by = call.query("by").map(By::parse).orElse(EnumSet.allOf(By.class));
            var q = new Query(from, to, by, call.query("caller"), call.query("model"));
            List<Row> rows;
            try {
                rows = query(q);
            } catch (SQLException e) {
                throw new ArbiterException.Overloaded("the request log's database is unavailable", java.time.Duration.ofSeconds(5),
                        "database_unavailable");
            }
            ObjectNode out = Json.object().put("from", from.toString()).put("to", to.toString());
            var byNode = out.putArray("by");
            by.forEach(b -> byNode.add(b.label()));
            var list = out.putArray("rows");
            long requests = 0;
            long errors = 0;
            long in = 0;
            long outTokens = 0;
            double cost = 0;
            for (Row r : rows) {
                list.add(r.json());
                requests += r.requests();
                errors += r.errors();
                in += r.inputTokens();
                outTokens += r.outputTokens();
                cost += r.costUsd();
            }
            out.set("total", new Row(null, null, null, requests, errors, in, outTokens, cost).json());
            return out;
        }));
    }

    private static Optional<LocalDate> date(Optional<String> s, String name) {
        try {
            return s.map(LocalDate::parse);
        } catch (DateTimeParseException e) {
            throw new ArbiterException.BadRequest(name + ": expected a date YYYY-MM-DD", name);
        }
    }
}
