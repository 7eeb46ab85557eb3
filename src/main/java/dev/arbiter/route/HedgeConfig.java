package dev.arbiter.route;

import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigNode;
import dev.arbiter.config.Section;
import java.time.Duration;

/**
 * A model's hedged requests ({@code models[].hedge: {after: 500ms | p95, budget: 5%}}): when the first attempt has not
 * answered (a stream: sent its first event) within {@code after} (a duration, or {@code p95}, the deployment's own
 * recent 95th percentile), a second attempt goes to another free deployment of the model; the first answer wins and
 * the other is cancelled. {@code budget} caps the extra calls as a share of the model's requests. Off unless set.
 *
 * @param after the delay; null for {@code p95}
 * @param budget extra calls allowed per request, as a fraction (0.05 for {@code 5%})
 */
public record HedgeConfig(boolean enabled, Duration after, double budget) {
    public static final HedgeConfig OFF = new HedgeConfig(false, Duration.ofMillis(500), 0.05);

    /** The {@code hedge:} block of a model. */
    public static final Section<HedgeConfig> SECTION = Section.perModel("hedge", OFF, HedgeConfig::bind);

    public HedgeConfig {
        var checks = new ConfigException.Checks();
        checks.require(after == null || after.toMillis() >= 1, "hedge.after", after, "a duration >= 1ms, or p95");
        checks.require(budget > 0 && budget <= 1, "hedge.budget", budget * 100 + "%", "a percentage in (0%, 100%]");
        checks.throwIfAny();
    }

    /** Whether the delay is the deployment's observed 95th percentile. */
    public boolean p95() {
        return after == null;
    }

    private static HedgeConfig bind(ConfigNode n) {
        boolean enabled = n.bool("enabled", true);
        Duration after = Duration.ofMillis(500);
        String text = n.string("after", null);
        if ("p95".equals(text)) after = null;
        else if (text != null) after = n.duration("after", after);
        double budget = 0.05;
        String b = n.string("budget", null);
        if (b != null) {
            try {
                String v = b.trim();
                budget = v.endsWith("%") ? Double.parseDouble(v.substring(0, v.length() - 1).trim()) / 100 : Double.parseDouble(v) / 100;
            } catch (NumberFormatException e) {
                n.problem(n.path() + ".budget", b, "a percentage such as 5%");
            }
        }
        Duration a = after;
        double bud = budget;
        return n.build(() -> new HedgeConfig(enabled, a, bud));
    }
}
