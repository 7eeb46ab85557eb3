package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.bench.DedupReplay;
import dev.arbiter.mock.MockConfig;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The resilience report's deduplication row, measured: a trace of 400 chat requests at 100/s against a mock that takes
 * 300 ms, 30% of them repeating a prompt sent in the previous 150 ms, replayed with single-flight off and on. Prints
 * the row (the README's figure comes from here until {@code arbiter bench resilience} runs it).
 */
class SingleFlightReportTest {
    @Test
    void dedupRow_onATraceWithConcurrentDuplicates_savesAboutOneCallPerDuplicate() throws Exception {
        var slow = new MockConfig(new MockConfig.Latency("fixed", Duration.ofMillis(300), Duration.ZERO), Duration.ZERO, 0, 16, 8,
                MockConfig.Faults.NONE, 1);
        try (var f = new Fixture(slow, "", "")) {
            var row = DedupReplay.run(URI.create(f.base()), URI.create("http://127.0.0.1:" + f.upstream.port()), "chat-openai",
                    400, 0.3, 100, Duration.ofMillis(150), 17);
            System.out.println(row.line());
            // a loaded machine may time a client out now and then; the count at the mock stays what was sent
            assertThat(row.failures()).isLessThan(20);
            assertThat(row.callsWithout()).isBetween(400L - row.failures(), 400L);
            assertThat(row.callsWith()).isGreaterThanOrEqualTo(400 - row.duplicates());
            // every duplicate was sent within 150 ms of its prompt, well inside the 300 ms call: nearly all share it
            assertThat(row.saved()).isGreaterThan(row.duplicates() * 8L / 10);
        }
    }
}
