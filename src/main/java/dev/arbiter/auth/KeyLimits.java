package dev.arbiter.auth;

import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigNode;

/**
 * A key's own limits ({@code limits: {rps, rpm, rpd, tpm, concurrency}}): requests per second, minute and day,
 * input+output tokens per minute, requests in flight. Zero means no limit of that kind.
 */
public record KeyLimits(long rps, long rpm, long rpd, long tpm, long concurrency) {
    public static final KeyLimits NONE = new KeyLimits(0, 0, 0, 0, 0);

    public KeyLimits {
        ConfigException.require(rps >= 0, "limits.rps", rps, ">= 0");
        ConfigException.require(rpm >= 0, "limits.rpm", rpm, ">= 0");
        ConfigException.require(rpd >= 0, "limits.rpd", rpd, ">= 0");
        ConfigException.require(tpm >= 0, "limits.tpm", tpm, ">= 0");
        ConfigException.require(concurrency >= 0, "limits.concurrency", concurrency, ">= 0");
    }

    static KeyLimits bind(ConfigNode n) {
        if (!n.present()) return NONE;
        return new KeyLimits(n.longValue("rps", 0), n.longValue("rpm", 0), n.longValue("rpd", 0), n.longValue("tpm", 0),
                n.longValue("concurrency", 0));
    }

    public boolean none() {
        return equals(NONE);
    }
}
