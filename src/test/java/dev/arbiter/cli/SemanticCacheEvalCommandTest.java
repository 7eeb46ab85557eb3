package dev.arbiter.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code arbiter eval semantic-cache --parts trace} on a small trace, priced from a config file. */
@Timeout(120)
class SemanticCacheEvalCommandTest {
    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {}

    private Run run(String... args) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int exit = new CommandLine(new SemanticCacheEvalCommand.SemanticCacheEval()).execute(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    private Path data() throws Exception {
        Files.createDirectories(dir.resolve("prompts"));
        Files.writeString(dir.resolve("prompts/sharegpt_first_turn_prompts.tsv"), """
                source_file\tconversation_id\tprompt\tprompt_chars
                s\ta\tWhat is the capital of France?\t30
                s\tb\twhat is the capital of france?\t30
                s\tc\tHow do volcanoes form?\t22
                """);
        Files.writeString(dir.resolve("arbiter.yaml"), """
                models:
                  - name: gpt-priced
                    deployments: [{name: d1, provider: mock, price: {input: 1.25, output: 5.00}}]
                """);
        return dir;
    }

    @Test
    void trace_pricedFromAConfiguredModel_usesItsDeploymentsPrices() throws Exception {
        Path data = data();
        var r = run("--data", data.toString(), "--parts", "trace", "--config", data.resolve("arbiter.yaml").toString(),
                "--priced-model", "gpt-priced");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("Prices of gpt-priced (deployment d1 in ")
                .contains("Prices: $1.25 / $5.00 per million input / output tokens")
                .contains("Trace: 3 prompts replayed")
                .contains("| 1 | 0 | 33.3% |");   // the case-folded repeat is an exact hit
    }

    @Test
    void configWithoutModel_orAnUnknownModel_isRefused() throws Exception {
        Path data = data();
        var r = run("--data", data.toString(), "--parts", "trace", "--config", data.resolve("arbiter.yaml").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--config and --priced-model: give both");
        r = run("--data", data.toString(), "--parts", "trace", "--config", data.resolve("arbiter.yaml").toString(), "--priced-model", "nope");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--priced-model: nope (expected: a model of ");
    }
}
