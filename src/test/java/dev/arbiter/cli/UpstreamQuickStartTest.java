package dev.arbiter.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigLoader;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code serve --upstream URL}: the config it stands for, valid for each upstream API, named after the host. */
class UpstreamQuickStartTest {
    private static ArbiterConfig quickStart(String url, String api) {
        var serve = new ServeCommand();
        serve.upstream = url;
        serve.upstreamApi = api;
        serve.upstreamKeyEnv = "UPSTREAM_KEY";
        return new ConfigLoader(Map.of("UPSTREAM_KEY", "sk-test-not-a-key")::get)
                .parse(new ByteArrayInputStream(serve.quickStart().getBytes(StandardCharsets.UTF_8)), "--upstream");
    }

    @Test
    void theDeploymentIsNamedAfterTheUpstreamsHostAndPort() {
        for (String api : new String[] {"openai", "responses", "anthropic"}) {
            var model = quickStart("http://127.0.0.1:8000/v1", api).models().getFirst();
            assertThat(model.aliases()).containsExactly("*");
            assertThat(model.deployments().getFirst().name()).as(api).isEqualTo("127.0.0.1:8000");
        }
        assertThat(quickStart("https://api.anthropic.com", "anthropic").models().getFirst().deployments().getFirst().name())
                .isEqualTo("api.anthropic.com");
    }

    @Test
    void aUrlWithoutAHostKeepsTheGenericName() {
        assertThat(ServeCommand.deploymentName("not a url")).isEqualTo("upstream");
        assertThat(ServeCommand.deploymentName("http://[::1]:9000/v1")).isEqualTo("[::1]:9000");
    }

    @Test
    void quickStart_schemelessUpstream_oneLineNamingTheFlag() {
        var serve = new ServeCommand();
        serve.upstream = "127.0.0.1:8000/v1";
        serve.upstreamApi = "openai";
        assertThatThrownBy(serve::quickStart).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                .containsExactly("--upstream: 127.0.0.1:8000/v1 (expected: an absolute http(s) URL, e.g. http://127.0.0.1:8000/v1)"));
    }

    @Test
    void serve_schemelessUpstream_printsOneProblemWithoutNull() {
        var err = new StringWriter();
        int code = new CommandLine(new ServeCommand()).setErr(new PrintWriter(err))
                .execute("--upstream", "localhost:8000/v1", "--port", "0");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("Invalid configuration:\n"
                + "  --upstream: localhost:8000/v1 (expected: an absolute http(s) URL, e.g. http://localhost:8000/v1)\n");
    }
}
