package dev.arbiter.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code arbiter validate}: every problem as one line, never a stack trace, never a secret's value. */
class ValidateCommandTest {
    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {}

    private Run validate(String yaml) throws Exception {
        Path file = Files.writeString(dir.resolve("arbiter.yaml"), yaml);
        var out = new StringWriter();
        var err = new StringWriter();
        var cli = new CommandLine(new ValidateCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        int code = cli.execute("--config", file.toString());
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void validate_wrongTypedValues_listsEachAsAProblemLine() throws Exception {
        var run = validate("""
                server: {port: x, max-body-bytes: ""}
                models:
                  - name: m
                    embeddings: maybe
                    deployments: [{provider: mock, weight: 1.5}]
                """);
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("4 problem(s)")
                .contains("  server.port: x (expected: an integer)")
                .contains("  server.max-body-bytes: \"\" (expected: an integer)")
                .contains("  models[0].embeddings: maybe (expected: true or false)")
                .contains("  models[0].deployments[0].weight: 1.5 (expected: an integer)")
                .doesNotContain("Exception", "\tat ");
    }

    @Test
    void validate_deploymentWithSeveralBadFields_listsThemAll() throws Exception {
        var run = validate("""
                models:
                  - name: m
                    deployments: [{provider: openai, model: m, weight: -1, base-url: "127.0.0.1:8000/v1"}]
                """);
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("models[0].deployments[0].weight: -1 (expected: >= 0)")
                .contains("models[0].deployments[0].base-url: 127.0.0.1:8000/v1 (expected: an absolute http(s) URL)");
    }

    @Test
    void validate_checksFallbackNames_asStartUpDoes() throws Exception {
        var run = validate("""
                models:
                  - name: m
                    fallbacks: [nope]
                    deployments: [{provider: mock}]
                """);
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("models[0].fallbacks[0]: nope").doesNotContain("Exception", "\tat ");
        assertThat(validate("""
                models:
                  - {name: m, fallbacks: [n], deployments: [{provider: mock}]}
                  - {name: n, deployments: [{provider: mock}]}
                """).code()).isZero();
    }

    @Test
    void validate_mistypedKey_hidesItsValue() throws Exception {
        var run = validate("""
                models:
                  - name: m
                    deployments:
                      - {provider: openai, base-url: "http://127.0.0.1:1/v1", api-key: ["sk-SECRET-999"],
                         headers: {authorization: {bearer: "sk-HEADER-777"}}}
                """);
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("api-key: (hidden) (expected: a string)")
                .doesNotContain("sk-SECRET-999", "sk-HEADER-777");
    }

    @Test
    void validate_validFile_saysOk() throws Exception {
        var run = validate("models: [{name: m, deployments: [{provider: mock}]}]");
        assertThat(run.code()).isZero();
        assertThat(run.out()).contains(": OK (1 models, 1 deployments)");
    }
}
