package dev.arbiter.dedup;

import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigNode;
import dev.arbiter.config.Section;

/**
 * A model's single-flight settings ({@code models[].single-flight}): {@code true} / {@code false}, or a mapping
 * {@code {enabled: true, share-sampled: false, max-replay-bytes: 1048576}}.
 *
 * @param enabled        whether identical in-flight requests to this model share one upstream call
 * @param shareSampled   whether requests that sample (a temperature above 0, or none, and no {@code seed}) share too;
 *                       off by default, because a client that sends the same request twice at once may want two
 *                       different samples (parallel sampling, self-consistency, best-of-n by an agent)
 * @param maxReplayBytes how many bytes of a shared stream's events are kept for requests that join it late; a
 *                       request arriving after that makes its own call
 */
public record SingleFlightConfig(boolean enabled, boolean shareSampled, long maxReplayBytes) {
    /** On, for requests whose answer is meant to be reproducible; 1 MiB of stream kept for late joiners. */
    public static final SingleFlightConfig DEFAULT = new SingleFlightConfig(true, false, 1 << 20);

    public static final SingleFlightConfig OFF = new SingleFlightConfig(false, false, DEFAULT.maxReplayBytes());

    /** The {@code single-flight:} key of a model. */
    public static final Section<SingleFlightConfig> SECTION = Section.perModel("single-flight", DEFAULT, SingleFlightConfig::bind);

    public SingleFlightConfig {
        ConfigException.require(maxReplayBytes >= 0 && maxReplayBytes <= 1L << 30, "single-flight.max-replay-bytes",
                maxReplayBytes, "0..1073741824");
    }

    private static SingleFlightConfig bind(ConfigNode n) {
        var raw = n.raw();
        if (raw.isBoolean()) return raw.booleanValue() ? DEFAULT : OFF;
        if (raw.isTextual() && (raw.asText().equals("true") || raw.asText().equals("false"))) {
            return raw.asText().equals("true") ? DEFAULT : OFF;
        }
        if (!raw.isObject()) {
            n.problem(n.path(), raw, "true, false or a mapping {enabled, share-sampled, max-replay-bytes}");
            return null;
        }
        boolean enabled = n.bool("enabled", DEFAULT.enabled());
        boolean sampled = n.bool("share-sampled", DEFAULT.shareSampled());
        long max = n.longValue("max-replay-bytes", DEFAULT.maxReplayBytes());
        return n.build(() -> new SingleFlightConfig(enabled, sampled, max));
    }
}
