package dev.arbiter.analyze;

import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigNode;
import dev.arbiter.config.Section;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The top-level {@code analyzer:} block: whether deployments are watched for drift and anomalies, what counts as a
 * degradation worth routing around, the threshold rules, and the webhooks detections are sent to.
 *
 * @param enabled             watch deployments at all (on by default; off costs nothing)
 * @param degradedWeight      the factor a degraded deployment's weight is multiplied by, in (0, 1]: it keeps a
 *                            trickle of traffic, which is how its recovery is seen
 * @param warmup              values per deployment learnt as its baseline before anything is judged
 * @param minLatencyIncrease  a latency change smaller than this is no degradation, however significant
 * @param minRelativeIncrease nor one smaller than this share of the baseline
 * @param minErrorIncrease    nor a rise of the error rate smaller than this (a fraction)
 * @param recoverAfter        a degraded deployment is judged recovered no sooner than this
 * @param window              the rolling window the threshold rules read (p95, error rate, spend rate)
 * @param cooldown            an anomaly of one deployment and detector is reported at most once per cooldown
 * @param rules               threshold rules
 * @param webhooks            URLs each detection and recovery is POSTed to as JSON
 */
public record AnalyzerConfig(boolean enabled, double degradedWeight, int warmup, Duration minLatencyIncrease,
                             double minRelativeIncrease, double minErrorIncrease, Duration recoverAfter, Duration window,
                             Duration cooldown, List<Rule> rules, List<URI> webhooks) {
    public static final AnalyzerConfig DEFAULT = new AnalyzerConfig(true, 0.1, 30, Duration.ofMillis(50), 0.5, 0.1,
            Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(60), List.of(), List.of());

    public static final Section<AnalyzerConfig> SECTION = Section.top("analyzer", DEFAULT, AnalyzerConfig::bind);

    /** What a threshold rule watches. */
    public enum Metric {
        /** p95 of upstream latency over the window, in seconds */
        P95_LATENCY("p95-latency"),
        /** failed attempts over attempts in the window */
        ERROR_RATE("error-rate"),
        /** US dollars spent per hour, over the window */
        SPEND_RATE("spend-rate");

        final String label;

        Metric(String label) {
            this.label = label;
        }

        static Metric of(String s) {
            for (Metric m : values()) if (m.label.equals(s)) return m;
            return null;
        }
    }

    /**
     * {@code metric} above {@code above} (seconds for p95-latency, a fraction for error-rate, USD per hour for
     * spend-rate) continuously for {@code forDuration} fires; it recovers when the value falls back. Latency and error
     * rules degrade the deployment; a spend rule only reports.
     */
    public record Rule(Metric metric, double above, Duration forDuration) {
        public Rule {
            var checks = new ConfigException.Checks();
            checks.require(metric != null, "metric", metric, "p95-latency, error-rate or spend-rate");
            checks.require(above >= 0 && Double.isFinite(above), "above", above, "a number >= 0 (a duration for p95-latency)");
            checks.require(forDuration != null && !forDuration.isNegative(), "for", forDuration, "a duration >= 0");
            checks.throwIfAny();
        }

        public String name() {
            return metric.label;
        }
    }

    public AnalyzerConfig {
        var checks = new ConfigException.Checks();
        checks.require(degradedWeight > 0 && degradedWeight <= 1, "analyzer.degraded-weight", degradedWeight, "a number in (0, 1]");
        checks.require(warmup >= 5 && warmup <= 100_000, "analyzer.warmup", warmup, "5..100000");
        checks.require(minLatencyIncrease != null && !minLatencyIncrease.isNegative(), "analyzer.min-latency-increase",
                minLatencyIncrease, "a duration >= 0");
        checks.require(minRelativeIncrease >= 0, "analyzer.min-relative-increase", minRelativeIncrease, "a number >= 0");
        checks.require(minErrorIncrease > 0 && minErrorIncrease <= 1, "analyzer.min-error-increase", minErrorIncrease, "a fraction in (0, 1]");
        checks.require(recoverAfter != null && !recoverAfter.isNegative(), "analyzer.recover-after", recoverAfter, "a duration >= 0");
        checks.require(window != null && window.toMillis() >= 1000, "analyzer.window", window, "a duration >= 1s");
        checks.require(cooldown != null && !cooldown.isNegative(), "analyzer.cooldown", cooldown, "a duration >= 0");
        checks.throwIfAny();
        rules = List.copyOf(rules);
        webhooks = List.copyOf(webhooks);
        for (URI u : webhooks) {
            ConfigException.require(u.isAbsolute() && ("http".equals(u.getScheme()) || "https".equals(u.getScheme())),
                    "analyzer.webhooks", u, "absolute http(s) URLs");
        }
    }

    private static AnalyzerConfig bind(ConfigNode n) {
        var d = DEFAULT;
        var rules = new ArrayList<Rule>();
        for (ConfigNode r : n.list("rules")) {
            String metricName = r.string("metric", null);
            Metric metric = Metric.of(metricName);
            double above = metric == Metric.P95_LATENCY ? r.duration("above", Duration.ZERO).toNanos() / 1e9 : r.number("above", 0);
            Duration forDuration = r.duration("for", Duration.ZERO);
            if (metric == null) r.problem(r.path() + ".metric", metricName, "p95-latency, error-rate or spend-rate");
            else {
                Rule rule = r.build(() -> new Rule(metric, above, forDuration));
                if (rule != null) rules.add(rule);
            }
        }
        var hooks = new ArrayList<URI>();
        for (String s : n.strings("webhooks")) {
            try {
                hooks.add(new URI(s));
            } catch (Exception e) {
                n.problem(n.path() + ".webhooks", s, "absolute http(s) URLs");
            }
        }
        boolean enabled = n.bool("enabled", d.enabled());
        double weight = n.number("degraded-weight", d.degradedWeight());
        int warmup = n.integer("warmup", d.warmup());
        Duration minLatency = n.duration("min-latency-increase", d.minLatencyIncrease());
        double minRelative = n.number("min-relative-increase", d.minRelativeIncrease());
        double minError = n.number("min-error-increase", d.minErrorIncrease());
        Duration recover = n.duration("recover-after", d.recoverAfter());
        Duration window = n.duration("window", d.window());
        Duration cooldown = n.duration("cooldown", d.cooldown());
        return n.build(() -> new AnalyzerConfig(enabled, weight, warmup, minLatency, minRelative, minError, recover, window,
                cooldown, rules, hooks));
    }
}
