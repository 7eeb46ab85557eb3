package dev.arbiter.cli;

import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.config.ConfigException;
import dev.arbiter.db.Postgres;
import dev.arbiter.db.PostgresConfig;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.observe.UsageReport;
import dev.arbiter.wire.Json;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "usage", mixinStandardHelpOptions = true,
        description = "Report usage and spend by caller, model and day from the request log in PostgreSQL.")
final class UsageCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-c", "--config"}, required = true, description = "YAML config file (its postgres: block)")
    Path config;

    @Option(names = "--from", description = "first day, YYYY-MM-DD (default: 30 days before --to)")
    LocalDate from;

    @Option(names = "--to", description = "last day, YYYY-MM-DD (default: today, UTC)")
    LocalDate to;

    @Option(names = "--by", split = ",", description = "group by: caller, model, day (default: all three; none: '' for one total)")
    String[] by;

    @Option(names = "--caller", description = "only this caller's requests")
    String caller;

    @Option(names = "--model", description = "only this model's requests")
    String model;

    @Option(names = "--json", description = "print JSON lines instead of a table")
    boolean json;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        try {
            ArbiterConfig cfg = Sections.loader(System::getenv).load(config);
            PostgresConfig pg = cfg.section(PostgresConfig.SECTION);
            if (!pg.configured()) {
                err.println(config + ": no postgres: block; the request log lives in PostgreSQL");
                return 2;
            }
            LocalDate last = to != null ? to : LocalDate.now(ZoneOffset.UTC);
            var groups = EnumSet.noneOf(UsageReport.By.class);
            if (by == null) groups = EnumSet.allOf(UsageReport.By.class);
            else for (String b : by) if (!b.isBlank()) groups.add(UsageReport.By.valueOf(b.strip().toUpperCase(Locale.ROOT)));
            var q = new UsageReport.Query(from != null ? from : last.minusDays(29), last, groups, Optional.ofNullable(caller),
                    Optional.ofNullable(model));
            try (var db = new Postgres(pg)) {
                if (!db.migrated()) {
                    err.println("PostgreSQL cannot be reached (postgres.url in " + config + ")");
                    return 1;
                }
                var rows = new UsageReport(db.dataSource()).query(q);
                if (json) {
                    for (var r : rows) out.println(Json.string(r.json()));
                } else {
                    out.printf(Locale.ROOT, "%-10s  %-24s  %-24s  %9s  %7s  %12s  %12s  %12s%n", "day", "caller", "model", "requests",
                            "errors", "input", "output", "cost_usd");
                    for (var r : rows) {
                        out.printf(Locale.ROOT, "%-10s  %-24s  %-24s  %9d  %7d  %12d  %12d  %12.6f%n", r.day() == null ? "*" : r.day(),
                                r.caller() == null ? "*" : r.caller(), r.model() == null ? "*" : r.model(), r.requests(), r.errors(),
                                r.inputTokens(), r.outputTokens(), r.costUsd());
                    }
                }
            }
            return 0;
        } catch (ConfigException e) {
            err.println(config + ": " + e.problems().size() + " problem(s)");
            e.problems().forEach(p -> err.println("  " + p));
            return 2;
        } catch (IllegalArgumentException | ArbiterException e) {
            err.println(e.getMessage());
            return 2;
        } catch (java.sql.SQLException e) {
            err.println("PostgreSQL: " + e.getMessage());
            return 1;
        } finally {
            out.flush();
            err.flush();
        }
    }
}
