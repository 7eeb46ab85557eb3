package dev.arbiter.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.e2e.Fixture;
import dev.arbiter.mock.MockConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code arbiter keys create|list|revoke} against a running gateway's admin API. */
class KeysCommandTest {
    private static final String ADMIN = "admin-key-for-the-cli-0123456789";

    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        var out = new StringWriter();
        var err = new StringWriter();
        var cl = new CommandLine(new Main()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void createListRevoke_throughTheAdminApi() {
        try (var f = new Fixture(MockConfig.DEFAULT, "auth: {mode: required, admin-key: \"" + ADMIN + "\"}\n", "")) {
            String url = f.base();
            Run created = run("keys", "create", "--url", url, "--admin-key", ADMIN, "--name", "cli-made", "--team", "ops",
                    "--models", "mock-chat,mock-*", "--rpm", "100");
            assertThat(created.code()).as(created.err()).isZero();
            String key = created.out().replaceAll("(?s).*key: (sk-arb-\\S+).*", "$1");
            String id = created.out().replaceAll("(?s).*id:  (vk_\\S+).*", "$1");
            String chat = "{\"model\":\"mock-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
            assertThat(f.post("/v1/chat/completions", chat, Map.of("authorization", "Bearer " + key)).statusCode()).isEqualTo(200);

            Run list = run("keys", "list", "--url", url, "--admin-key", ADMIN);
            assertThat(list.code()).isZero();
            assertThat(list.out()).contains(id).contains("cli-made").contains(key.substring(0, 12) + "...").doesNotContain(key);

            assertThat(run("keys", "list", "--url", url, "--admin-key", "wrong-admin-key-0123456789").code()).isEqualTo(1);
            assertThat(run("keys", "revoke", "--url", url, "--admin-key", ADMIN, id).code()).isZero();
            assertThat(f.post("/v1/chat/completions", chat, Map.of("authorization", "Bearer " + key)).statusCode()).isEqualTo(401);
            Run missing = run("keys", "revoke", "--url", url, "--admin-key", ADMIN, "vk_missing");
            assertThat(missing.code()).isEqualTo(1);
            assertThat(missing.err()).contains("404");
        }
    }
}
