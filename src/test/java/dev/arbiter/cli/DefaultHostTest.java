package dev.arbiter.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.arbiter.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Arbiter holds upstream keys and has no client authentication yet: unless a host is set, it listens on loopback
 * only, and says so at start.
 */
class DefaultHostTest {
    private static final ConfigLoader NO_ENV = new ConfigLoader(k -> null);

    @TempDir
    Path dir;

    private static ServeCommand serve(String... args) {
        var serve = new ServeCommand();
        new CommandLine(serve).parseArgs(args);
        return serve;
    }

    @Test
    void serve_withoutHost_listensOnLoopbackOnly() {
        assertThat(serve().config(NO_ENV).server().host()).isEqualTo("127.0.0.1");
        assertThat(serve("--upstream", "http://127.0.0.1:8000/v1").config(NO_ENV).server().host()).isEqualTo("127.0.0.1");
    }

    @Test
    void serve_hostFlagOrConfigHost_isKept() throws Exception {
        assertThat(serve("--host", "0.0.0.0").config(NO_ENV).server().host()).isEqualTo("0.0.0.0");
        Path file = Files.writeString(dir.resolve("a.yaml"), "server: {host: 0.0.0.0}\nmodels: [{name: m, deployments: [{provider: mock}]}]\n");
        assertThat(serve("--config", file.toString()).config(NO_ENV).server().host()).isEqualTo("0.0.0.0");
    }

    @Test
    void listeningLine_onLoopback_saysSoAndHowToOpenUp() {
        assertThat(ServeCommand.listeningLine("127.0.0.1", 8080, List.of("m")))
                .isEqualTo("Arbiter listening on http://127.0.0.1:8080 (this machine only; set server.host or --host 0.0.0.0 "
                        + "to listen on all interfaces) serving [m]");
        assertThat(ServeCommand.listeningLine("0.0.0.0", 8080, List.of("m"))).isEqualTo("Arbiter listening on http://0.0.0.0:8080 serving [m]");
    }

    /**
     * The listening socket as the kernel sees it: /proc/net/tcp and tcp6 name its local address (hex, little-endian
     * words; the JDK's dual-stack sockets show 127.0.0.1 as ::ffff:127.0.0.1, and 0.0.0.0 as ::).
     */
    @Test
    void gateway_fromTheDefaultConfig_bindsTheLoopbackAddress() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/net/tcp")), "needs Linux's /proc/net/tcp");
        try (Gateway g = Gateway.start(serve("--port", "0").config(NO_ENV))) {
            String port = String.format(Locale.ROOT, ":%04X", g.port());
            var listening = new java.util.ArrayList<String>();
            for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
                if (!Files.isReadable(Path.of(table))) continue;
                Files.readAllLines(Path.of(table)).stream().map(String::trim).map(l -> l.split("\\s+"))
                        .filter(f -> f.length > 3 && f[1].endsWith(port) && f[3].equals("0A")).forEach(f -> listening.add(f[1]));
            }
            assertThat(listening).isNotEmpty()
                    .allMatch(a -> a.equals("0100007F" + port) || a.equals("0000000000000000FFFF00000100007F" + port), "a loopback address");
        }
    }
}
