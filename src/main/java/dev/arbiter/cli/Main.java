package dev.arbiter.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code arbiter} command line. */
@Command(name = "arbiter", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "An OpenAI- and Anthropic-compatible LLM gateway.",
        subcommands = {ServeCommand.class, MockUpstreamCommand.class, ValidateCommand.class, BenchCommand.class, EvalCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // The JDK HTTP client keeps every connection a burst opened, and scans them all under a lock on each
        // request; a cap keeps that list short (measured: 22% of the gateway's samples under load without it).
        defaultProperty("jdk.httpclient.connectionPoolSize", "256");
        // A virtual thread blocked on a socket waits in a poller. The JDK's default on Linux runs the pollers as
        // virtual threads woken by a platform "master" poller: two thread hand-offs per wake-up, and thread
        // wake-ups are the dearest thing a request does on a virtualised machine. One platform-thread poller is
        // one hand-off and batches the wake-ups of many connections (measured with bench/run.sh, gateway CPU per
        // request: see the README's benchmark section). Both can be overridden with -D on the command line. One
        // poller thread is measured on two cores only; larger machines keep the JDK's count of them.
        defaultProperty("jdk.pollerMode", "1");
        if (Runtime.getRuntime().availableProcessors() <= 4) defaultProperty("jdk.readPollers", "1");
        // Logging is set up first, on this thread: a library that logs from another thread while SLF4J is still
        // initialising has its lines queued and replayed, with three lines of SLF4J warnings about it.
        org.slf4j.LoggerFactory.getILoggerFactory();
        org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
        org.slf4j.bridge.SLF4JBridgeHandler.install();
        int code = new CommandLine(new Main()).execute(args);
        dev.arbiter.observe.Logs.stop();
        System.exit(code);
    }

    private static void defaultProperty(String name, String value) {
        if (System.getProperty(name) == null) System.setProperty(name, value);
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
