package dev.arbiter.config;

/**
 * Prices in US dollars per million tokens. Cache reads and writes default to the input price when unset.
 */
public record PriceConfig(double input, double output, Double cacheRead, Double cacheWrite) {
    public static final PriceConfig FREE = new PriceConfig(0, 0, null, null);

    public PriceConfig {
        var checks = new ConfigException.Checks();
        checks.require(input >= 0, "price.input", input, ">= 0");
        checks.require(output >= 0, "price.output", output, ">= 0");
        checks.require(cacheRead == null || cacheRead >= 0, "price.cache-read", cacheRead, ">= 0");
        checks.require(cacheWrite == null || cacheWrite >= 0, "price.cache-write", cacheWrite, ">= 0");
        checks.throwIfAny();
    }

    public double cacheReadPrice() {
        return cacheRead == null ? input : cacheRead;
    }

    public double cacheWritePrice() {
        return cacheWrite == null ? input : cacheWrite;
    }
}
