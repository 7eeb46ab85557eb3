package dev.arbiter.auth;

import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigNode;

/** A key's spending limits in US dollars ({@code budget: {daily-usd, monthly-usd}}); zero means none. */
public record KeyBudget(double dailyUsd, double monthlyUsd) {
    public static final KeyBudget NONE = new KeyBudget(0, 0);

    public KeyBudget {
        ConfigException.require(dailyUsd >= 0 && Double.isFinite(dailyUsd), "budget.daily-usd", dailyUsd, "a number >= 0");
        ConfigException.require(monthlyUsd >= 0 && Double.isFinite(monthlyUsd), "budget.monthly-usd", monthlyUsd, "a number >= 0");
    }

    static KeyBudget bind(ConfigNode n) {
        if (!n.present()) return NONE;
        return new KeyBudget(n.number("daily-usd", 0), n.number("monthly-usd", 0));
    }
}
