package dev.arbiter.decide;

/**
 * The reward a policy learns from: a weighted mean of quality, cheapness and speed, each normalised to [0, 1]:
 * {@code (wq q + wc (1 - cost / maxCost) + wl (1 - latency / maxLatency)) / (wq + wc + wl)}. Quality comes from
 * feedback (or an implicit signal: 0 for an error); cost and latency are normalised by the largest the route
 * expects, and clamped.
 */
public record Reward(double quality, double cost, double latency) {
    public static final Reward QUALITY_FIRST = new Reward(0.8, 0.1, 0.1);
    public static final Reward BALANCED = new Reward(0.5, 0.3, 0.2);
    public static final Reward COST_FIRST = new Reward(0.3, 0.6, 0.1);

    public Reward {
        if (!(quality >= 0 && cost >= 0 && latency >= 0) || quality + cost + latency <= 0) {
            throw new IllegalArgumentException("objective: {quality: " + quality + ", cost: " + cost + ", latency: " + latency
                    + "} (expected: weights >= 0, not all 0)");
        }
    }

    /** The reward of one outcome; {@code quality} in [0, 1], cost and latency against their normalisers. */
    public double of(double q, double costValue, double maxCost, double latencyValue, double maxLatency) {
        double c = maxCost > 0 ? 1 - clamp(costValue / maxCost) : 1;
        double l = maxLatency > 0 ? 1 - clamp(latencyValue / maxLatency) : 1;
        return clamp((quality * clamp(q) + cost * c + latency * l) / (quality + cost + latency));
    }

    static double clamp(double v) {
        return v < 0 || Double.isNaN(v) ? 0 : Math.min(v, 1);
    }
}
