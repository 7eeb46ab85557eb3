package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arbiter.cli.Gateway;
import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.config.ConfigLoader;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.mock.MockUpstream;
import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A gateway or mock whose port is taken fails to start, loudly, instead of running without a listener. */
class StartupTest {

    @Test
    void gateway_onATakenPort_failsToStart() throws Exception {
        try (var taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            String yaml = """
                    server: {host: 127.0.0.1, port: %d}
                    models:
                      - name: mock-chat
                        deployments: [{name: mock, provider: mock}]
                    """.formatted(taken.getLocalPort());
            ArbiterConfig cfg = new ConfigLoader(k -> null)
                    .parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "taken.yaml");
            assertThatThrownBy(() -> Gateway.start(cfg))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("could not listen on 127.0.0.1:" + taken.getLocalPort());
        }
    }

    @Test
    void mockUpstream_onATakenPort_failsToStart() throws Exception {
        try (var taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> MockUpstream.start("127.0.0.1", taken.getLocalPort(), MockConfig.DEFAULT))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("could not listen");
        }
    }
}
