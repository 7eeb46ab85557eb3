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

    @Option(names = "--host", description = "Address to listen on (default: server.host, 0.0.0.0)")
    String host;

    @Option(names = "--upstream", description = "Quick start without a config file: serve every model name clients send "
            + "by passing it to this one upstream base URL (e.g. http://127.0.0.1:8000/v1 for vLLM)")
    String upstream;

    @Option(names = "--upstream-api", defaultValue = "openai",
            description = "What the --upstream speaks: openai (chat completions), responses or anthropic (default: ${DEFAULT-VALUE})")
    String upstreamApi;

    @Option(names = "--upstream-key-env", description = "Environment variable holding the --upstream API key")
    String upstreamKeyEnv;

    /** The config that {@code --upstream} stands for: one model that takes every name, sent on unchanged. */
    String quickStart() {
        String provider = switch (upstreamApi) {
            case "openai", "chat" -> "provider: openai, api: chat";
            case "responses" -> "provider: openai, api: responses";
            case "anthropic", "messages" -> "provider: anthropic";
            default -> throw new ConfigException(ConfigException.problem("--upstream-api", upstreamApi, "openai, responses or anthropic"));
        };
        String key = upstreamKeyEnv == null ? "" : ", api-key: \"${" + upstreamKeyEnv + "}\"";
        return """
                models:
                  - name: upstream
                    aliases: ["*"]
                    deployments:
                      - {name: "%s", %s, model: "*", base-url: "%s"%s}
                """.formatted(deploymentName(upstream), provider, upstream.replace("\"", ""), key);
    }

    /**
     * The deployment is named after the upstream's host and port, so answers (x-arbiter-deployment) and errors
     * ("upstream api.anthropic.com rejected the request") say where a call went.
     */
    static String deploymentName(String url) {
        try {
            var u = java.net.URI.create(url.trim());
            if (u.getHost() != null) {
                String name = u.getPort() > 0 ? u.getHost() + ":" + u.getPort() : u.getHost();
                return name.replaceAll("[^A-Za-z0-9._:\\[\\]-]", "-");
            }
        } catch (IllegalArgumentException e) {
            // an invalid URL is reported by the config check of base-url
        }
        return "upstream";
    }

    @Override
    public Integer call() throws InterruptedException {
        ArbiterConfig cfg;
        try {
            var loader = ConfigLoader.fromSystemEnv();
            if (upstream != null && config != null) {
                System.err.println("Use either --config or --upstream, not both.");
                return 2;
            }
            cfg = upstream != null ? loader.parse(new java.io.ByteArrayInputStream(quickStart().getBytes(
                    java.nio.charset.StandardCharsets.UTF_8)), "--upstream")
                    : config == null ? loader.loadDefault() : loader.load(config);
        } catch (ConfigException e) {
            System.err.println("Invalid configuration:");
            e.problems().forEach(p -> System.err.println("  " + p));
            return 2;
        }
        if (port != null) cfg = cfg.withServer(cfg.server().withPort(port));
        if (host != null) cfg = cfg.withServer(cfg.server().withHost(host));
        Gateway gateway;
        try {
            gateway = Gateway.start(cfg);
        } catch (IllegalStateException e) {
            System.err.println("Arbiter did not start: " + e.getMessage());
            return 1;
        }
        var stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("shutting down: draining in-flight requests");
            gateway.close();
            log.info("stopped");
            dev.arbiter.observe.Logs.stop();
            stopped.countDown();
        }, "arbiter-shutdown"));
        log.info("Arbiter listening on http://{}:{} serving {}", cfg.server().host(), gateway.port(),
                gateway.registry().models().stream().map(m -> m.name()).toList());
        stopped.await();
        return 0;
    }
}
