package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Stored responses belong to the credential that made them: another credential, or none, cannot reach them. */
class StoredResponseScopeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> ALICE = Map.of("authorization", "Bearer sk-alice");
    private static final Map<String, String> ALICE_ANTHROPIC_STYLE = Map.of("x-api-key", "sk-alice");
    private static final Map<String, String> BOB = Map.of("authorization", "Bearer sk-bob");
    private static final Map<String, String> NOBODY = Map.of();
    private static Fixture f;

    @BeforeAll
    static void start() {
        f = new Fixture();
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    private static String create(Map<String, String> who) throws Exception {
        var r = f.post("/v1/responses", "{\"model\":\"mock-chat\",\"input\":\"remember the word aubergine\"}", who);
        assertThat(r.statusCode()).isEqualTo(200);
        return JSON.readTree(r.body()).path("id").asText();
    }

    private static HttpResponse<String> call(String method, String path, Map<String, String> who) {
        var b = HttpRequest.newBuilder(f.uri(path)).timeout(Duration.ofSeconds(10)).method(method, HttpRequest.BodyPublishers.noBody());
        who.forEach(b::header);
        return f.send(b.build());
    }

    @Test
    void storedResponse_otherCredentialOrNone_isNotFound() throws Exception {
        String id = create(ALICE);
        for (var who : new Map[] {BOB, NOBODY}) {
            @SuppressWarnings("unchecked") Map<String, String> h = who;
            assertThat(call("GET", "/v1/responses/" + id, h).statusCode()).isEqualTo(404);
            assertThat(call("GET", "/v1/responses/" + id + "/input_items", h).statusCode()).isEqualTo(404);
            var cont = f.post("/v1/responses", "{\"model\":\"mock-chat\",\"previous_response_id\":\"" + id + "\",\"input\":\"and?\"}", h);
            assertThat(cont.statusCode()).isEqualTo(404);
            assertThat(call("DELETE", "/v1/responses/" + id, h).statusCode()).isEqualTo(404);
        }
        // still there for its owner, through either header the SDKs use
        assertThat(call("GET", "/v1/responses/" + id, ALICE).statusCode()).isEqualTo(200);
        assertThat(call("GET", "/v1/responses/" + id + "/input_items", ALICE_ANTHROPIC_STYLE).statusCode()).isEqualTo(200);
        var cont = f.post("/v1/responses", "{\"model\":\"mock-chat\",\"previous_response_id\":\"" + id + "\",\"input\":\"and?\"}", ALICE);
        assertThat(cont.statusCode()).isEqualTo(200);
        assertThat(call("DELETE", "/v1/responses/" + id, ALICE).statusCode()).isEqualTo(200);
        assertThat(call("GET", "/v1/responses/" + id, ALICE).statusCode()).isEqualTo(404);
    }

    @Test
    void storedResponse_anonymous_isAnonymousOnly() throws Exception {
        String id = create(NOBODY);
        assertThat(call("GET", "/v1/responses/" + id, NOBODY).statusCode()).isEqualTo(200);
        assertThat(call("GET", "/v1/responses/" + id, ALICE).statusCode()).isEqualTo(404);
    }
}
