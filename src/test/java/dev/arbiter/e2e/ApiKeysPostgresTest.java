package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.db.TestPostgres;
import dev.arbiter.mock.MockConfig;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Virtual keys in PostgreSQL: shared by gateways on one database, surviving a restart, revoked everywhere within the cache TTL. */
class ApiKeysPostgresTest {
    private static final String CHAT = "{\"model\":\"mock-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

    private static Fixture gateway() {
        return new Fixture(MockConfig.DEFAULT, """
                auth: {mode: required, admin-key: "%s", key-cache-ttl: 1s}
                %s""".formatted(ApiKeysTest.ADMIN, TestPostgres.yaml(2)), "");
    }

    private static int chat(Fixture f, String key) {
        return f.post("/v1/chat/completions", CHAT, Map.of("authorization", "Bearer " + key)).statusCode();
    }

    @Test
    void virtualKey_sharedAcrossGateways_survivesRestart_revokedOnBoth() throws Exception {
        Assumptions.assumeTrue(TestPostgres.reachable(), "PostgreSQL not reachable");
        String key;
        String name = "pg-" + UUID.randomUUID().toString().substring(0, 8);
        try (Fixture a = gateway()) {
            key = ApiKeysTest.create(a, "{\"name\":\"" + name + "\"}");
            assertThat(chat(a, key)).isEqualTo(200);
        }
        try (Fixture a = gateway(); Fixture b = gateway()) {
            assertThat(chat(a, key)).isEqualTo(200);     // survived the restart
            assertThat(chat(b, key)).isEqualTo(200);     // and is known to the other gateway
            try (var c = TestPostgres.connect(); var rs = c.createStatement().executeQuery(
                    "SELECT key_hash, prefix, spec::text FROM arbiter_api_key WHERE name = '" + name + "'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).doesNotContain(key).hasSize(64);
                assertThat(rs.getString(2) + rs.getString(3)).doesNotContain(key.substring(12));
            }
            String id = ApiKeysTest.admin(a, "GET", "keys", null, ApiKeysTest.ADMIN).body()
                    .replaceAll("(?s).*\"id\":\"(vk_[0-9a-f]+)\"[^}]*\"name\":\"" + name + "\".*", "$1");
            assertThat(id).startsWith("vk_");
            assertThat(ApiKeysTest.admin(a, "DELETE", "keys/" + id, null, ApiKeysTest.ADMIN).statusCode()).isEqualTo(200);
            assertThat(chat(a, key)).isEqualTo(401);       // at once where it was revoked
            long until = System.nanoTime() + 3_000_000_000L;   // within the 1 s cache TTL on the other
            while (chat(b, key) != 401 && System.nanoTime() < until) Thread.sleep(100);
            assertThat(chat(b, key)).isEqualTo(401);
        }
    }
}
