package dev.arbiter.bench;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * One kind of request the load generator sends: a POST of {@code body} to {@code base + path}.
 *
 * @param name how the report names it, e.g. {@code gateway-chat}
 * @param via what answers it: the upstream itself, the gateway, or the reference proxy in front of the upstream
 * @param base the server's base URL, e.g. {@code http://127.0.0.1:18080}
 * @param headers request headers besides host, content-type and content-length
 * @param stream whether the answer is a server-sent event stream (its time to first byte is recorded)
 * @param expect text a successful answer contains, so a 200 with the wrong body counts as an error
 * @param baseline for a call through the gateway or the reference proxy, the direct scenario it is compared
 *     with; empty for a direct call
 * @param reference for a call through the gateway, the same call through the reference proxy, when there is one
 * @param rate requests per second within this scenario's phases; 0 for the run's rate ({@code --rate})
 */
public record Scenario(String name, Via via, URI base, String path, byte[] body, Map<String, String> headers, boolean stream,
                       String expect, String baseline, String reference, double rate) {
    /** What answers a scenario's requests. */
    public enum Via {
        /** The upstream, called directly: the baseline. */
        UPSTREAM,
        /** Arbiter, in front of the upstream. */
        GATEWAY,
        /**
         * A reference reverse proxy (nginx, by bench/run.sh) in front of the same upstream: what one more hop
         * through a lean native proxy costs on this machine, measured in the same run.
         */
        REFERENCE
    }

    public Scenario {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("name: required");
        if (via == null) throw new IllegalArgumentException("via: required");
        if (base == null || !"http".equals(base.getScheme())) throw new IllegalArgumentException("base: " + base + " (expected: an http URL)");
        if (path == null || !path.startsWith("/")) throw new IllegalArgumentException("path: " + path + " (expected: starting with /)");
        headers = Map.copyOf(headers);
        body = body.clone();
        baseline = baseline == null ? "" : baseline;
        reference = reference == null ? "" : reference;
        if ((via == Via.UPSTREAM) != baseline.isEmpty()) {
            throw new IllegalArgumentException("baseline: '" + baseline + "' (expected: one exactly when not a direct call)");
        }
        if (!(rate == 0 || (rate > 0 && rate <= MAX_RATE))) {
            throw new IllegalArgumentException("rate of " + name + ": " + rate + " (expected: 0 < rate <= " + (int) MAX_RATE + ")");
        }
    }

    /** Highest rate a scenario may ask for, requests per second. */
    public static final double MAX_RATE = 100_000;

    public Scenario(String name, Via via, URI base, String path, String body, Map<String, String> headers, boolean stream,
                    String expect, String baseline, String reference) {
        this(name, via, base, path, body.getBytes(StandardCharsets.UTF_8), headers, stream, expect, baseline, reference, 0);
    }

    /**
     * This scenario at its own rate, named {@code name@rate}, its baseline and reference twin renamed alike so that
     * each row is compared with rows sent at the same rate.
     */
    public Scenario atRate(double rate) {
        String at = "@" + rateLabel(rate);
        return new Scenario(name + at, via, base, path, body, headers, stream, expect, baseline.isEmpty() ? "" : baseline + at,
                reference.isEmpty() ? "" : reference + at, rate);
    }

    /** {@code 200} for 200.0, {@code 0.5} for 0.5. */
    static String rateLabel(double rate) {
        return rate == Math.rint(rate) ? Long.toString((long) rate) : Double.toString(rate);
    }

    /** The rate this scenario's phases run at, given the run's. */
    double rateOr(double runRate) {
        return rate > 0 ? rate : runRate;
    }

    /** Whether this scenario goes through a proxy (the gateway or the reference) and is compared with a direct baseline. */
    public boolean proxied() {
        return via != Via.UPSTREAM;
    }

    @Override
    public byte[] body() {
        return body.clone();
    }

    URI uri() {
        return base.resolve(path);
    }
}
