package dev.arbiter.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code arbiter} command line. */
@Command(name = "arbiter", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "An OpenAI- and Anthropic-compatible LLM gateway.",
        subcommands = {ServeCommand.class, MockUpstreamCommand.class, ValidateCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // The JDK HTTP client keeps every connection a burst opened, and scans them all under a lock on each
        // request; a cap keeps that list short (measured: 22% of the gateway's samples under load without it).
        if (System.getProperty("jdk.httpclient.connectionPoolSize") == null) {
            System.setProperty("jdk.httpclient.connectionPoolSize", "256");
        }
        org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
        org.slf4j.bridge.SLF4JBridgeHandler.install();
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"arbiter " + (v == null ? "development build" : v)};
        }
    }
}
