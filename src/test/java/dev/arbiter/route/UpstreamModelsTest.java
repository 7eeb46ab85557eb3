package dev.arbiter.route;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.config.DeploymentConfig;
import dev.arbiter.config.SectionValues;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.mock.MockUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The upstream's model list is read once a TTL, off the caller's path once it has been read. */
class UpstreamModelsTest {
    private static long listings(MockUpstream m) {
        return m.stats().requests().getOrDefault("/v1/models", 0L);
    }

    @Test
    void ids_freshListIsCached_staleListIsServedWhileRefreshedInBackground() throws Exception {
        MockUpstream m = MockUpstream.start("127.0.0.1", 0, MockConfig.DEFAULT);
        var now = new AtomicLong();
        var d = new DeploymentConfig("up", "openai", "*", URI.create("http://127.0.0.1:" + m.port() + "/v1"), null, 1, null,
                null, Duration.ofSeconds(5), Duration.ofSeconds(30), 0, null, Map.of(), SectionValues.NONE);
        try (var client = HttpClient.newHttpClient()) {
            var models = new UpstreamModels(d, client, now::get);
            assertThat(models.ids()).containsExactly("mock-chat", "mock-embedding");
            assertThat(models.ids()).containsExactly("mock-chat", "mock-embedding");
            assertThat(listings(m)).isEqualTo(1);

            now.addAndGet(UpstreamModels.TTL.toNanos() + 1);
            assertThat(models.ids()).containsExactly("mock-chat", "mock-embedding");
            long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (listings(m) < 2 && System.nanoTime() < until) Thread.sleep(10);
            assertThat(listings(m)).isEqualTo(2);
        } finally {
            m.stop();
        }
    }
}
