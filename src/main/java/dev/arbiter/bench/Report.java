package dev.arbiter.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.HdrHistogram.Histogram;

/**
 * A run's results: per scenario its achieved rate, answers, errors and latency percentiles; per proxied
 * scenario the latency it adds over its direct baseline (proxied percentile minus direct percentile, each
 * taken over its own requests) and the ratio of the two; per gateway scenario with a reference-proxy twin, what
 * the gateway adds beyond the reference. Figures are microseconds.
 */
public final class Report {
    private static final double[] PERCENTILES = {50, 90, 99, 99.9};

    private final LoadGenerator.Plan plan;
    private final String client;
    private final CpuWatch cpu;
    private final List<ScenarioStats> stats;
    private final Duration elapsed;
    private final String referenceName;
    private final List<AllocWatch.Gateway> allocation;

    Report(LoadGenerator.Plan plan, String client, CpuWatch cpu, List<ScenarioStats> stats, Duration elapsed) {
        this(plan, client, cpu, stats, elapsed, "reference", List.of());
    }

    private Report(LoadGenerator.Plan plan, String client, CpuWatch cpu, List<ScenarioStats> stats, Duration elapsed, String referenceName,
                   List<AllocWatch.Gateway> allocation) {
        this.plan = plan;
        this.client = client;
        this.cpu = cpu;
        this.stats = List.copyOf(stats);
        this.elapsed = elapsed;
        this.referenceName = referenceName;
        this.allocation = List.copyOf(allocation);
    }

    /** This report, calling the reference proxy {@code name} (e.g. {@code nginx}). */
    public Report referenceName(String name) {
        return new Report(plan, client, cpu, stats, elapsed, name, allocation);
    }

    /** This report, with what each gateway allocated over the measurement. */
    Report allocation(List<AllocWatch.Gateway> gateways) {
        return new Report(plan, client, cpu, stats, elapsed, referenceName, gateways);
    }

    /** The latency a proxied scenario adds to its baseline, in microseconds. */
    public record Added(String scenario, String baseline, double p50, double p90, double p99, double ratioP50, double ratioP99) {}

    /**
     * A gateway scenario against its reference-proxy twin: each one's added latency at p50 and p99, and the
     * gateway's ratio to the reference's.
     */
    public record VersusReference(String scenario, String reference, Added gateway, Added viaReference) {
        public double extraP50() {
            return gateway.p50() - viaReference.p50();
        }

        public double extraP99() {
            return gateway.p99() - viaReference.p99();
        }
    }

    public List<Added> added() {
        return stats.stream().filter(s -> s.scenario.proxied())
                .flatMap(s -> find(s.scenario.baseline()).map(b -> added(s, b)).stream())
                .toList();
    }

    public List<VersusReference> versusReference() {
        var added = added();
        var out = new java.util.ArrayList<VersusReference>();
        for (Added g : added) {
            String twin = find(g.scenario()).map(s -> s.scenario.reference()).orElse("");
            added.stream().filter(a -> a.scenario().equals(twin)).findFirst()
                    .ifPresent(r -> out.add(new VersusReference(g.scenario(), twin, g, r)));
        }
        return out;
    }

    /** Total errors over all scenarios. */
    public long errors() {
        return stats.stream().mapToLong(s -> s.errors.sum()).sum();
    }

    private static Added added(ScenarioStats g, ScenarioStats d) {
        return new Added(g.scenario.name(), d.scenario.name(), us(g.latency, 50) - us(d.latency, 50),
                us(g.latency, 90) - us(d.latency, 90), us(g.latency, 99) - us(d.latency, 99),
                ratio(us(g.latency, 50), us(d.latency, 50)), ratio(us(g.latency, 99), us(d.latency, 99)));
    }

    private Optional<ScenarioStats> find(String name) {
        return stats.stream().filter(s -> s.scenario.name().equals(name)).findFirst();
    }

    /** The report as plain-text tables, with a verdict against the added-latency targets. */
    public String text(double targetP50Micros, double targetP99Micros) {
        var out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "client: %s; rate %s req/s (a scenario named name@R: R req/s); %d s recorded per scenario "
                + "in %d ms phases; elapsed %d s%n", client, Scenario.rateLabel(plan.rate()), plan.duration().toSeconds(),
                plan.phase().toMillis(), elapsed.toSeconds()));
        out.append("latency from intended send time to end of answer, microseconds\n\n");
        String head = "%-34s %8s %8s %8s %6s %8s %8s %8s %8s %8s %9s %9s %8s%n";
        out.append(String.format(Locale.ROOT, head, "scenario", "target/s", "rate/s", "ok", "errors", "p50", "p90", "p99", "p99.9", "max",
                "ttfb-p50", "ttfb-p99", "lag-p99"));
        for (ScenarioStats s : stats) {
            boolean ttfb = s.scenario.stream() && s.firstByte.getTotalCount() > 0;
            out.append(String.format(Locale.ROOT, "%-34s %8s %8.1f %8d %6d %8.0f %8.0f %8.0f %8.0f %8.0f %9s %9s %8.0f%n",
                    s.scenario.name(), Scenario.rateLabel(s.scenario.rateOr(plan.rate())), s.achievedRate(), s.ok.sum(), s.errors.sum(), us(s.latency, 50), us(s.latency, 90),
                    us(s.latency, 99), us(s.latency, 99.9), s.latency.getMaxValue() / 1e3,
                    ttfb ? fmt(us(s.firstByte, 50)) : "-", ttfb ? fmt(us(s.firstByte, 99)) : "-", us(s.lag, 99)));
        }
        var added = added();
        if (!added.isEmpty()) {
            out.append(String.format(Locale.ROOT, "%nadded by the gateway (gateway minus direct), microseconds; target p50 < %.0f, p99 < %.0f%s%n%n",
                    targetP50Micros, targetP99Micros, versusReference().isEmpty() ? "" : "; reference-* rows: " + referenceName));
            out.append(String.format(Locale.ROOT, "%-34s %-20s %8s %8s %8s %7s %7s  %s%n", "scenario", "baseline", "+p50", "+p90", "+p99",
                    "x p50", "x p99", "target"));
            for (Added a : added) {
                boolean met = a.p50() < targetP50Micros && a.p99() < targetP99Micros;
                out.append(String.format(Locale.ROOT, "%-34s %-20s %8.0f %8.0f %8.0f %7.2f %7.2f  %s%n", a.scenario(), a.baseline(),
                        a.p50(), a.p90(), a.p99(), a.ratioP50(), a.ratioP99(), met ? "met" : "MISSED"));
            }
        }
        var versus = versusReference();
        if (!versus.isEmpty()) {
            out.append(String.format(Locale.ROOT, "%nthe gateway against %s, the reference proxy, in front of the same upstream in the same run: "
                    + "added latency of each, microseconds%n%n", referenceName));
            out.append(String.format(Locale.ROOT, "%-34s %12s %12s %10s %12s %12s %10s%n", "scenario", "gateway +p50", referenceName + " +p50",
                    "extra p50", "gateway +p99", referenceName + " +p99", "extra p99"));
            for (VersusReference v : versus) {
                out.append(String.format(Locale.ROOT, "%-34s %12.0f %12.0f %10.0f %12.0f %12.0f %10.0f%n", v.scenario(), v.gateway().p50(),
                        v.viaReference().p50(), v.extraP50(), v.gateway().p99(), v.viaReference().p99(), v.extraP99()));
            }
        }
        if (cpu.available()) cpuTable(out);
        allocationTable(out);
        threadTable(out);
        for (ScenarioStats s : stats) {
            s.errorKinds().forEach((k, v) -> out.append(String.format(Locale.ROOT, "errors %s: %d x %s%n", s.scenario.name(), v, k)));
        }
        return out.toString();
    }

    private void cpuTable(StringBuilder out) {
        var names = cpu.names();
        out.append("\nCPU during each scenario's phases: microseconds per request by process; 'others' is the rest of the machine, in cores\n\n");
        out.append(String.format(Locale.ROOT, "%-34s", "scenario"));
        for (String n : names) out.append(String.format(Locale.ROOT, " %14s", n));
        out.append('\n');
        for (ScenarioStats s : stats) {
            out.append(String.format(Locale.ROOT, "%-34s", s.scenario.name()));
            for (int i = 0; i < names.size() - 1; i++) out.append(String.format(Locale.ROOT, " %14.0f", s.cpuMicrosPerRequest(i)));
            out.append(String.format(Locale.ROOT, " %14.2f%n", s.cores(names.size() - 1)));
        }
    }

    private void allocationTable(StringBuilder out) {
        if (allocation.isEmpty()) return;
        out.append("\nheap allocated by each gateway over the measurement (its arbiter_jvm_allocated_bytes_total), per request sent to it;"
                + " idle time and background threads included\n\n");
        out.append(String.format(Locale.ROOT, "%-34s %-34s %10s %10s %14s %10s%n", "gateway", "scenarios", "requests", "MB",
                "bytes/request", "MB/s"));
        for (AllocWatch.Gateway g : allocation) {
            out.append(String.format(Locale.ROOT, "%-34s %-34s %10d %10.1f %14.0f %10.2f%n", g.base(), String.join(",", g.scenarios()),
                    g.requests(), g.bytes() / 1e6, g.bytesPerRequest(), g.megabytesPerSecond()));
        }
    }

    /**
     * With {@code --threads}: per scenario, each thread group's CPU and context switches per request (groups under
     * 1 µs and 0.01 switches per request left out), busiest first. A voluntary switch is the thread going to
     * sleep, so it counts the wake-ups a request costs.
     */
    private void threadTable(StringBuilder out) {
        boolean any = stats.stream().anyMatch(s -> !s.threadsPerRequest().isEmpty());
        if (!any) return;
        out.append("\nthreads during each scenario's phases, per request: CPU µs, voluntary context switches (wake-ups), involuntary ones\n");
        for (ScenarioStats s : stats) {
            out.append(String.format(Locale.ROOT, "%n%s%n", s.scenario.name()));
            s.threadsPerRequest().entrySet().stream()
                    .filter(e -> e.getValue()[0] >= 1 || e.getValue()[1] >= 0.01 || e.getValue()[2] >= 0.01)
                    .sorted((a, b) -> Double.compare(b.getValue()[0], a.getValue()[0]))
                    .forEach(e -> out.append(String.format(Locale.ROOT, "  %-40s %8.1f µs %8.2f vol %8.2f invol%n", e.getKey(),
                            e.getValue()[0], e.getValue()[1], e.getValue()[2])));
        }
    }

    /** Writes the report, with full percentile data, as JSON. */
    public void writeJson(Path file) throws IOException {
        var mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("client", client).put("rate", plan.rate()).put("durationSeconds", plan.duration().toSeconds())
                .put("warmupSeconds", plan.warmup().toSeconds()).put("phaseMillis", plan.phase().toMillis())
                .put("elapsedSeconds", elapsed.toSeconds()).put("unit", "microseconds");
        var scenarios = root.putArray("scenarios");
        for (ScenarioStats s : stats) {
            ObjectNode o = scenarios.addObject();
            o.put("name", s.scenario.name()).put("via", s.scenario.via().name().toLowerCase(Locale.ROOT))
                    .put("url", s.scenario.uri().toString()).put("stream", s.scenario.stream())
                    .put("baseline", s.scenario.baseline()).put("intendedRate", s.scenario.rateOr(plan.rate()))
                    .put("sent", s.sent()).put("achievedRate", s.achievedRate())
                    .put("ok", s.ok.sum()).put("errors", s.errors.sum());
            o.set("latency", percentiles(mapper, s.latency));
            if (s.scenario.stream()) o.set("timeToFirstByte", percentiles(mapper, s.firstByte));
            o.set("generatorLag", percentiles(mapper, s.lag));
            if (cpu.available()) {
                var c = o.putObject("cpuMicrosPerRequest");
                var names = cpu.names();
                for (int i = 0; i < names.size() - 1; i++) c.put(names.get(i), s.cpuMicrosPerRequest(i));
                o.put("otherCores", s.cores(names.size() - 1));
            }
            var perThread = s.threadsPerRequest();
            if (!perThread.isEmpty()) {
                var t = o.putObject("threadsPerRequest");
                perThread.forEach((g, v) -> t.putObject(g).put("cpuMicros", v[0]).put("voluntarySwitches", v[1]).put("involuntarySwitches", v[2]));
            }
            var kinds = o.putObject("errorKinds");
            s.errorKinds().forEach(kinds::put);
        }
        var added = root.putArray("added");
        for (Added a : added()) {
            added.addObject().put("scenario", a.scenario()).put("baseline", a.baseline()).put("p50", a.p50()).put("p90", a.p90())
                    .put("p99", a.p99()).put("ratioP50", a.ratioP50()).put("ratioP99", a.ratioP99());
        }
        var alloc = root.putArray("allocation");
        for (AllocWatch.Gateway g : allocation) {
            var o = alloc.addObject().put("gateway", g.base().toString()).put("requests", g.requests()).put("bytes", g.bytes())
                    .put("bytesPerRequest", g.bytesPerRequest()).put("megabytesPerSecond", g.megabytesPerSecond());
            var names = o.putArray("scenarios");
            g.scenarios().forEach(names::add);
        }
        var versus = root.putArray("versusReference");
        for (VersusReference v : versusReference()) {
            versus.addObject().put("scenario", v.scenario()).put("reference", v.reference()).put("referenceName", referenceName)
                    .put("extraP50", v.extraP50()).put("extraP99", v.extraP99());
        }
        mapper.writeValue(file.toFile(), root);
    }

    private static ObjectNode percentiles(ObjectMapper mapper, Histogram h) {
        ObjectNode o = mapper.createObjectNode().put("count", h.getTotalCount());
        for (double p : PERCENTILES) o.put("p" + (p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p)), us(h, p));
        return o.put("max", h.getMaxValue() / 1e3).put("mean", h.getMean() / 1e3);
    }

    private static double us(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile) / 1e3;
    }

    private static double ratio(double a, double b) {
        return b > 0 ? a / b : Double.NaN;
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.0f", v);
    }
}
