package dev.arbiter.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.config.ConfigLoader;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

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
}
