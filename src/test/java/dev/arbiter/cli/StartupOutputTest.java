package dev.arbiter.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What a person sees when a command starts, in a real JVM: its own lines only, no SLF4J replay warnings, no Helidon
 * notice about logging, no terminal escape codes.
 */
class StartupOutputTest {
    /** Runs {@code arbiter ARGS} until a line containing {@code ready} (at most 60 s), and returns every line up to it. */
    private static List<String> startUntil(String ready, String... args) throws Exception {
        return startUntil(ready, List.of(), args);
    }

    private static List<String> startUntil(String ready, List<String> jvmFlags, String... args) throws Exception {
        var command = new ArrayList<String>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(jvmFlags);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        var lines = new LinkedBlockingQueue<String>();
        Thread.ofVirtual().start(() -> {
            try (var r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) lines.add(l);
            } catch (Exception e) {
                // the process was ended
            }
        });
        var seen = new ArrayList<String>();
        try {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < until) {
                String l = lines.poll(100, TimeUnit.MILLISECONDS);
                if (l != null) {
                    seen.add(l);
                    if (l.contains(ready)) return seen;
                } else if (!p.isAlive() && lines.isEmpty()) {
                    break;
                }
            }
            throw new AssertionError("no line with '" + ready + "' within 60 s; saw " + seen);
        } finally {
            p.destroy();
            if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly();
        }
    }

    @Test
    void mockUpstream_startsWithItsOwnLineOnly() throws Exception {
        var lines = startUntil("listening on", "mock-upstream", "--host", "127.0.0.1", "--port", "0");
        assertThat(lines).singleElement().asString().startsWith("mock-upstream (a fake LLM server) listening on http://127.0.0.1:");
    }

    @Test
    void serve_startsWithoutLibraryNoise_andSaysItServesThisMachineOnly() throws Exception {
        var lines = startUntil("listening on", "serve", "--port", "0");
        assertThat(lines).noneMatch(l -> l.contains("SLF4J") || l.contains("Helidon") || l.contains("\u001b"));
        assertThat(lines.getLast()).contains("Arbiter listening on http://127.0.0.1:", "(this machine only;");
    }

    @Test
    void serve_withTheSemanticCache_andTheLaunchersFlags_loadsTheEmbedderWithoutWarnings(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        var config = dir.resolve("semantic.yaml");
        java.nio.file.Files.writeString(config, """
                server: {host: 127.0.0.1, port: 0}
                cache: {semantic: {threshold: 0.9}}
                models: [{name: m, deployments: [{name: d, provider: mock}]}]
                """);
        // the flags ./arbiter passes
        var lines = startUntil("semantic cache ready", List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"),
                "serve", "--config", config.toString());
        assertThat(lines).as("the JVM's own note on incubator modules is the only warning")
                .filteredOn(l -> l.contains("WARN") && !l.equals("WARNING: Using incubator modules: jdk.incubator.vector")).isEmpty();
        assertThat(lines).noneMatch(l -> l.contains("ERROR") || l.contains("Exception"));
    }
}
