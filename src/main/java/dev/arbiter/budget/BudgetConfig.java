package dev.arbiter.budget;

import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigNode;
import dev.arbiter.config.Section;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The top-level {@code budgets:} block: spending limits in US dollars per day and per month for teams and users (a
 * key's own are in its {@code budget:}), the fraction of a budget at which a soft alert is raised (logged once per
 * budget and period, and counted), and the output tokens assumed for a request that sets no {@code max_tokens} when
 * its cost is reserved.
 *
 * <pre>
 * budgets:
 *   alert-at: 0.8
 *   assumed-output-tokens: 1024
 *   team: {daily-usd: 50}              # each team
 *   teams: {research: {monthly-usd: 5000}}
 *   user: {daily-usd: 5}               # each user
 * </pre>
 */
public record BudgetConfig(double alertAt, long assumedOutputTokens, Limit team, Map<String, Limit> teams, Limit user) {
    /** A daily and a monthly limit; zero: none. */
    public record Limit(double dailyUsd, double monthlyUsd) {
        public static final Limit NONE = new Limit(0, 0);

        public Limit {
            ConfigException.require(dailyUsd >= 0 && Double.isFinite(dailyUsd), "daily-usd", dailyUsd, "a number >= 0");
            ConfigException.require(monthlyUsd >= 0 && Double.isFinite(monthlyUsd), "monthly-usd", monthlyUsd, "a number >= 0");
        }

        public boolean none() {
            return dailyUsd == 0 && monthlyUsd == 0;
        }

        static Limit bind(ConfigNode n) {
            if (!n.present()) return NONE;
            double d = n.number("daily-usd", 0);
            double m = n.number("monthly-usd", 0);
            return n.build(() -> new Limit(d, m));
        }
    }

    public static final BudgetConfig DEFAULT = new BudgetConfig(0.8, 1024, Limit.NONE, Map.of(), Limit.NONE);

    public static final Section<BudgetConfig> SECTION = Section.top("budgets", DEFAULT, BudgetConfig::bind);

    public BudgetConfig {
        ConfigException.require(alertAt > 0 && alertAt <= 1, "budgets.alert-at", alertAt, "a fraction in (0, 1]");
        ConfigException.require(assumedOutputTokens >= 0, "budgets.assumed-output-tokens", assumedOutputTokens, ">= 0");
        teams = Map.copyOf(teams);
    }

    private static BudgetConfig bind(ConfigNode n) {
        double alert = n.number("alert-at", DEFAULT.alertAt());
        long assumed = n.longValue("assumed-output-tokens", DEFAULT.assumedOutputTokens());
        Limit team = Limit.bind(n.child("team"));
        var teams = new LinkedHashMap<String, Limit>();
        ConfigNode t = n.child("teams");
        if (t.present()) for (String name : t.fieldNames()) {
            Limit l = Limit.bind(t.child(name));
            if (l != null) teams.put(name, l);
        }
        Limit user = Limit.bind(n.child("user"));
        return n.build(() -> new BudgetConfig(alert, assumed, team, teams, user));
    }
}
