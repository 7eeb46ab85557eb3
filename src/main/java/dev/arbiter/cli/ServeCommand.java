package dev.arbiter.cli;

import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigLoader;
import dev.arbiter.error.Untrusted;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the gateway.")
final class ServeCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-c", "--config"}, description = "YAML config file (default: built-in mock models, plus OpenAI/Anthropic when their API keys are set)")
    Path config;

    @Option(names = {"-p", "--port"}, description = "Port to listen on (default: server.port, 8080)")
    Integer port;

    @Option(names = "--host", description = "Address to listen on, e.g. 0.0.0.0 for all interfaces (default: server.host, "
            + "127.0.0.1: this machine only)")
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
        URI url = upstreamUrl(upstream);
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
                """.formatted(deploymentName(upstream), provider, url, key);
    }

    /** The {@code --upstream} URL, or one problem line naming the flag (the generated config is not the user's). */
    static URI upstreamUrl(String value) {
        try {
            URI u = new URI(value.strip());
            if (("http".equals(u.getScheme()) || "https".equals(u.getScheme())) && u.getHost() != null) return u;
        } catch (URISyntaxException e) {
            // reported below, as the value the flag was given
        }
        String example = value.contains("://") ? "http://127.0.0.1:8000/v1" : "http://" + value.strip();
        throw new ConfigException(ConfigException.problem("--upstream", Untrusted.text(value),
                "an absolute http(s) URL, e.g. " + Untrusted.text(example)));
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
            // an invalid URL is reported by upstreamUrl
        }
        return "upstream";
    }

    /** The configuration to serve: the file, the quick start or the built-in default, with the flags applied. */
    ArbiterConfig config(ConfigLoader loader) {
        ArbiterConfig cfg = upstream != null
                ? loader.parse(new ByteArrayInputStream(quickStart().getBytes(StandardCharsets.UTF_8)), "--upstream")
                : config == null ? loader.loadDefault() : loader.load(config);
        if (port != null) cfg = cfg.withServer(cfg.server().withPort(port));
        if (host != null) cfg = cfg.withServer(cfg.server().withHost(host));
        return cfg;
    }

    /**
     * The start-up line. On a loopback address it says so, and how to listen on every interface: Arbiter has no client
     * authentication yet, so it serves only this machine unless told otherwise.
     */
    static String listeningLine(String host, int port, List<String> models) {
        String where = host.contains(":") ? "[" + host + "]" : host;
        String scope = loopback(host) ? " (this machine only; set server.host or --host 0.0.0.0 to listen on all interfaces)" : "";
        return "Arbiter listening on http://" + where + ":" + port + scope + " serving " + models;
    }

    private static boolean loopback(String host) {
        return host.equals("localhost") || host.startsWith("127.") || host.equals("::1") || host.equals("[::1]");
    }

    @Override
    public Integer call() throws InterruptedException {
        ArbiterConfig cfg;
        var err = spec.commandLine().getErr();
        if (upstream != null && config != null) {
            err.println("Use either --config or --upstream, not both.");
            err.flush();
            return 2;
        }
        try {
            cfg = config(Sections.loader(System::getenv));
        } catch (ConfigException e) {
            err.println("Invalid configuration:");
            e.problems().forEach(p -> err.println("  " + p));
            err.flush();
            return 2;
        }
        Gateway gateway;
        try {
            // logging is the process's, not one gateway's: switched here, before the server takes requests
            if (cfg.section(dev.arbiter.observe.ObserveConfig.SECTION).jsonLogs()) dev.arbiter.observe.JsonLines.install();
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
        log.info(listeningLine(cfg.server().host(), gateway.port(), gateway.registry().models().stream().map(m -> m.name()).toList()));
        stopped.await();
        return 0;
    }
}
