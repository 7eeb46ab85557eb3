package dev.arbiter.cli;

import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.config.ConfigException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "validate", mixinStandardHelpOptions = true, description = "Check a config file without starting.")
final class ValidateCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-c", "--config"}, required = true, description = "YAML config file")
    Path config;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        try {
            ArbiterConfig cfg = Sections.loader(System::getenv).load(config);
            Gateway.check(cfg);
            out.println(config + ": OK (" + cfg.models().size() + " models, "
                    + cfg.models().stream().mapToInt(m -> m.deployments().size()).sum() + " deployments)");
            return 0;
        } catch (ConfigException e) {
            err.println(config + ": " + e.problems().size() + " problem(s)");
            e.problems().forEach(p -> err.println("  " + p));
            return 2;
        } catch (RuntimeException e) {
            // what start-up would refuse beyond the config's records (a provider that cannot be made)
            err.println(config + ": 1 problem(s)");
            err.println("  " + dev.arbiter.error.Untrusted.text(String.valueOf(e.getMessage())));
            return 2;
        } finally {
            out.flush();
            err.flush();
        }
    }
}
