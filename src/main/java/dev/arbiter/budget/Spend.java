package dev.arbiter.budget;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.admin.AdminRoute;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.wire.Json;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spend in US dollars per scope (a key, a team, a user) and period (the UTC day and month), with reservations.
 *
 * <p>Admission reserves a request's estimated cost on every budget that applies; the request is refused when spent
 * plus reserved plus its estimate would pass a limit. When the answer is complete the reservation is replaced by the
 * real cost (usage x the deployment's prices). So requests in flight together cannot pass a limit by more than the
 * sum of their real costs beyond their estimates: with {@code max_tokens} set, the estimate of output is its upper
 * bound and only the tokenizer's error on input remains; without it, {@code assumed-output-tokens} stands in, and
 * each request in flight may pass it by its output beyond that. Each account's check and reservation is one
 * synchronized step; a request under several budgets takes them one by one and gives back what it took when a later
 * one refuses.
 *
 * <p>Settled spend is written to the {@link SpendStore} (PostgreSQL when configured) and read back per period on
 * first use, so it survives a restart. With Redis ({@link SharedSpend}) the check and the reservation are made on the
 * account every gateway shares, so gateways see each other's spend and reservations live; each gateway's own account
 * follows the shared spend it last saw. While Redis is unavailable each gateway checks its own account: the shared
 * spend it last saw plus its own since, so together gateways may pass a limit by what the others spend during the
 * outage (at most, with N gateways, N-1 times what was left of the budget when Redis went away). Without Redis every
 * gateway checks what it loaded at the start of the period plus its own spend since.
 */
public final class Spend {
    private static final Logger log = LoggerFactory.getLogger(Spend.class);

    /** One budget that applies to a request: its tier label, its scope and its limits. */
    public record Scope(String tier, String scope, BudgetConfig.Limit limit) {}

    private static final class Account {
        double spent;
        double reserved;
        /** Spend settled while Redis was unavailable, to add to the shared account with its next command. */
        double pending;
        boolean alerted;

        synchronized double takePending() {
            double p = pending;
            pending = 0;
            return p;
        }

        synchronized void addPending(double usd) {
            pending += usd;
        }
    }

    private final SpendStore store;
    private final SharedSpend shared;
    private final String node = Long.toHexString(new java.security.SecureRandom().nextLong());
    private final java.util.concurrent.atomic.AtomicLong reservations = new java.util.concurrent.atomic.AtomicLong();
    private final double alertAt;
    private final InstantSource clock;
    private final Map<String, Account> accounts = new ConcurrentHashMap<>();
    private final Set<String> loaded = ConcurrentHashMap.newKeySet();
    private final MeterRegistry metrics;

    /** @param shared the account shared through Redis, or null: this gateway's own only */
    Spend(SpendStore store, SharedSpend shared, double alertAt, InstantSource clock, MeterRegistry metrics) {
        this.store = store;
        this.shared = shared;
        this.alertAt = alertAt;
        this.clock = clock;
        this.metrics = metrics;
        for (String tier : List.of("key", "team", "user")) {
            for (String period : List.of("day", "month")) {
                Gauge.builder("arbiter.budget.spend", this, s -> s.total(tier, period)).baseUnit("usd")
                        .description("Spend in the current period, summed over the tier's scopes").tag("tier", tier).tag("period", period)
                        .register(metrics);
            }
            alerts(tier);
            rejections(tier);
        }
    }

    private Counter alerts(String tier) {
        return Counter.builder("arbiter.budget.alerts").description("Budgets that passed their alert fraction").tag("tier", tier).register(metrics);
    }

    private Counter rejections(String tier) {
        return Counter.builder("arbiter.budget.rejections").description("Requests refused by a spent budget").tag("tier", tier).register(metrics);
    }

    /** The UTC day's and month's period names ({@code d2026-12-06}, {@code m2026-12}), made once a day, not per request. */
    private record Periods(long epochDay, String day, String month) {}

    private volatile Periods periods = new Periods(Long.MIN_VALUE, "", "");

    private Periods periods() {
        long today = Math.floorDiv(clock.instant().getEpochSecond(), 86_400);
        Periods p = periods;
        if (p.epochDay() != today) {
            String date = LocalDate.ofEpochDay(today).toString();
            p = new Periods(today, "d" + date, "m" + date.substring(0, 7));
            periods = p;
        }
        return p;
    }

    private String day() {
        return periods().day();
    }

    private String month() {
        return periods().month();
    }

    private Account account(String scope, String period) {
        if (loaded.add(period)) {
            store.load(period).forEach((s, usd) -> accounts.computeIfAbsent(s + "|" + period, k -> new Account()).spent += usd);
        }
        return accounts.computeIfAbsent(scope + "|" + period, k -> new Account());
    }

    /** A request's reservations, to settle once with its real cost. */
    public final class Reservation {
        /** A reservation on an account; {@code member}: its entry in the shared account, null when held here only. */
        private record Held(Scope scope, String period, Account account, String member) {}

        private final List<Scope> scopes;
        private final String day;
        private final String month;
        private final double estimate;
        private final List<Held> held = new ArrayList<>(4);
        private boolean settled;

        private Reservation(List<Scope> scopes, double estimate) {
            this.scopes = scopes;
            this.estimate = estimate;
            Periods p = periods();
            this.day = p.day();
            this.month = p.month();
        }

        /** Replaces the reservations with the real cost (zero when no model answered). */
        public synchronized void settle(double usd) {
            if (settled) return;
            settled = true;
            for (Held h : held) {
                synchronized (h.account()) {
                    h.account().reserved -= estimate;
                }
                if (h.member() != null && usd <= 0) shareSettle(h.scope().scope(), h.period(), h.account(), h.member(), 0);
            }
            if (usd <= 0) return;
            for (Scope s : scopes) {
                for (String period : new String[] {day, month}) {
                    Account a = account(s.scope(), period);
                    double limit = period.startsWith("d") ? s.limit().dailyUsd() : s.limit().monthlyUsd();
                    if (shared != null && limit > 0) {
                        String member = null;
                        for (Held h : held) if (h.account() == a) member = h.member();
                        shareSettle(s.scope(), period, a, member, usd);
                    }
                    boolean alert;
                    synchronized (a) {
                        a.spent += usd;
                        alert = limit > 0 && !a.alerted && a.spent >= limit * alertAt;
                        if (alert) a.alerted = true;
                    }
                    if (alert) {
                        alerts(s.tier()).increment();
                        log.warn("budget alert: {} has spent {} of its {} budget of {} USD in {}", s.scope(), String.format("%.4f", a.spent),
                                period.startsWith("d") ? "daily" : "monthly", limit, period.substring(1));
                    }
                    Thread.ofVirtual().start(() -> store.add(s.scope(), period, usd));
                }
            }
        }
    }

    /** Reserves {@code estimate} on every limited budget of these scopes, or refuses with 429 {@code budget_exceeded}. */
    public Reservation reserve(List<Scope> scopes, double estimate) {
        var r = new Reservation(scopes, estimate);
        for (Scope s : scopes) {
            for (String period : new String[] {r.day, r.month}) {
                double limit = period.startsWith("d") ? s.limit().dailyUsd() : s.limit().monthlyUsd();
                if (limit <= 0) continue;
                Account a = account(s.scope(), period);
                String member = null;
                Boolean sharedOk = null;
                if (shared != null) {
                    member = SharedSpend.member(node + ":" + reservations.incrementAndGet(), estimate);
                    double carry = a.takePending();
                    var check = shared.reserve(s.scope(), period, limit, estimate, member, expireAt(period),
                            () -> Math.max(store.spent(s.scope(), period).orElse(0), spentHere(a)), carry);
                    if (check.isPresent()) {
                        sharedOk = check.get().ok();
                        synchronized (a) {
                            a.spent = Math.max(a.spent, check.get().spent());
                        }
                    } else {
                        a.addPending(carry);
                        member = null;
                    }
                }
                boolean ok;
                synchronized (a) {
                    ok = sharedOk != null ? sharedOk : a.spent + a.reserved + estimate <= limit;
                    if (ok) a.reserved += estimate;
                }
                if (!ok) member = null;
                if (!ok) {
                    r.settle(0);
                    rejections(s.tier()).increment();
                    boolean daily = period.startsWith("d");
                    throw new ArbiterException.Overloaded("Budget exceeded: the " + s.tier() + "'s " + (daily ? "daily" : "monthly")
                            + " budget of " + limit + " USD is spent (this request was estimated at " + String.format("%.6f", estimate)
                            + " USD); it renews " + (daily ? "at 00:00 UTC" : "on the 1st of the month, 00:00 UTC"), untilRenewal(daily), true,
                            "budget_exceeded");
                }
                r.held.add(new Reservation.Held(s, period, a, member));
            }
        }
        return r;
    }

    private void shareSettle(String scope, String period, Account a, String member, double usd) {
        double carry = a.takePending();
        if (!shared.settle(scope, period, member, usd + carry) && usd + carry != 0) a.addPending(usd + carry);
    }

    private static double spentHere(Account a) {
        synchronized (a) {
            return a.spent;
        }
    }

    /** When a period's shared keys expire: a day after it ends. */
    private static long expireAt(String period) {
        LocalDate end = period.startsWith("d") ? LocalDate.parse(period.substring(1)).plusDays(1)
                : java.time.YearMonth.parse(period.substring(1)).plusMonths(1).atDay(1);
        return end.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC).toEpochMilli();
    }

    private Duration untilRenewal(boolean daily) {
        LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        LocalDate next = daily ? today.plusDays(1) : today.withDayOfMonth(1).plusMonths(1);
        return Duration.between(clock.instant(), next.atStartOfDay().toInstant(ZoneOffset.UTC));
    }

    private double total(String tier, String period) {
        String p = period.equals("day") ? day() : month();
        double sum = 0;
        for (var e : accounts.entrySet()) {
            if (e.getKey().startsWith(tier + ":") && e.getKey().endsWith("|" + p)) sum += e.getValue().spent;
        }
        return sum;
    }

    /** {@code GET /admin/spend}: every scope's spend and reservations in the current day and month. */
    public List<AdminRoute> adminRoutes() {
        return List.of(AdminRoute.get("spend", call -> {
            ObjectNode n = Json.object();
            n.put("day", day().substring(1));
            n.put("month", month().substring(1));
            var scopes = new TreeMap<String, ObjectNode>();
            for (String p : new String[] {day(), month()}) {
                account("-", p);   // loads the period
                for (var e : accounts.entrySet()) {
                    if (!e.getKey().endsWith("|" + p) || e.getKey().startsWith("-|")) continue;
                    String scope = e.getKey().substring(0, e.getKey().length() - p.length() - 1);
                    ObjectNode s = scopes.computeIfAbsent(scope, k -> Json.object().put("scope", k));
                    String which = p.startsWith("d") ? "daily" : "monthly";
                    synchronized (e.getValue()) {
                        s.put(which + "_spent_usd", e.getValue().spent);
                        s.put(which + "_reserved_usd", e.getValue().reserved);
                    }
                }
            }
            var arr = n.putArray("data");
            scopes.values().forEach(arr::add);
            return n;
        }));
    }
}
