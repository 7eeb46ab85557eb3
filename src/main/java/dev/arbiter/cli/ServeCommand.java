package dev.arbiter.cli;

import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigLoader;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the gateway.")
final class ServeCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

    @Option(names = {"-c", "--config"}, description = "YAML config file (default: built-in mock models, plus OpenAI/Anthropic when their API keys are set)")
    Path config;

    @Option(names = {"-p", "--port"}, description = "Port to listen on (default: server.port, 8080)")
    Integer port;

    @Override
    public Integer call() throws InterruptedException {
        ArbiterConfig cfg;
        try {
            var loader = ConfigLoader.fromSystemEnv();
            cfg = config == null ? loader.loadDefault() : loader.load(config);
        } catch (ConfigException e) {
            System.err.println("Invalid configuration:");
            e.problems().forEach(p -> System.err.println("  " + p));
            return 2;
        }
        if (port != null) cfg = cfg.withServer(cfg.server().withPort(port));
        Gateway gateway = Gateway.start(cfg);
        var stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("shutting down: draining in-flight requests");
            gateway.close();
            stopped.countDown();
        }, "arbiter-shutdown"));
        log.info("Arbiter listening on http://{}:{} serving {}", cfg.server().host(), gateway.port(),
                gateway.registry().models().stream().map(m -> m.name()).toList());
        stopped.await();
        return 0;
    }
}
