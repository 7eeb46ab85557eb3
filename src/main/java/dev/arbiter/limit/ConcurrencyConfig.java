package dev.arbiter.limit;

import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigNode;
import dev.arbiter.config.Section;

/**
 * A deployment's adaptive concurrency limit ({@code models[].deployments[].concurrency}). Off unless configured:
 * without it a deployment has the fixed {@code max-in-flight} (0, the default, for no limit of its own).
 *
 * <pre>
 * concurrency: {adaptive: true, initial: 20, min: 1, max: 200, backoff: 0.9, max-queued: 200}
 * </pre>
 *
 * @param adaptive whether the limit follows the upstream (false: the block has no effect)
 * @param initial the limit before the first sample
 * @param min the limit never goes below it
 * @param max the limit never goes above it (and {@code max-in-flight}, when that is set, caps it too)
 * @param backoff the factor the limit is multiplied by at each upstream 429 (or 503, 529, timeout): from 0.5 to 0.99
 * @param maxQueued how many requests may wait for this deployment at once (0: none wait; default {@code max})
 */
public record ConcurrencyConfig(boolean adaptive, int initial, int min, int max, double backoff, int maxQueued) {
    public static final ConcurrencyConfig OFF = new ConcurrencyConfig(false, 20, 1, 200, 0.9, 200);

    public static final Section<ConcurrencyConfig> SECTION = Section.perDeployment("concurrency", OFF, ConcurrencyConfig::bind);

    public ConcurrencyConfig {
        var checks = new ConfigException.Checks();
        checks.require(min >= 1, "concurrency.min", min, ">= 1");
        checks.require(max >= min && max <= 100_000, "concurrency.max", max, "from min to 100000");
        checks.require(initial >= min && initial <= max, "concurrency.initial", initial, "from min to max");
        checks.require(backoff >= 0.5 && backoff < 1, "concurrency.backoff", backoff, "from 0.5 to 0.99");
        checks.require(maxQueued >= 0, "concurrency.max-queued", maxQueued, ">= 0");
        checks.throwIfAny();
    }

    private static ConcurrencyConfig bind(ConfigNode n) {
        int max = n.integer("max", OFF.max());
        return n.build(() -> new ConcurrencyConfig(n.bool("adaptive", false), n.integer("initial", Math.min(OFF.initial(), max)),
                n.integer("min", OFF.min()), max, n.number("backoff", OFF.backoff()), n.integer("max-queued", max)));
    }
}
