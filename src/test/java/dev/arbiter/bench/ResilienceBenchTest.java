package dev.arbiter.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResilienceBenchTest {
    @Test
    void table_padsEachColumnToItsWidestCell_withAHeader() {
        String t = ResilienceBench.table(List.of(
                new ResilienceBench.Row("success rate", ResilienceBench.percent(0.9625), ResilienceBench.percent(1), "retries"),
                new ResilienceBench.Row("p99", ResilienceBench.millis(Duration.ofMillis(2004)), "213 ms", "hedging")));
        assertThat(t.lines().toList()).containsExactly(
                "scenario      without  with     feature",
                "success rate  96.25%   100.00%  retries",
                "p99           2004 ms  213 ms   hedging");
    }
}
