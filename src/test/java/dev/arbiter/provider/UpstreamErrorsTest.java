package dev.arbiter.provider;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class UpstreamErrorsTest {
    @Test
    void retryAfter_msPreferred_secondsOtherwise_nonsenseIgnored() {
        assertThat(UpstreamErrors.retryAfter("10", "250")).isEqualTo(Duration.ofMillis(250));
        assertThat(UpstreamErrors.retryAfter("10", "soon")).isEqualTo(Duration.ofSeconds(10));
        assertThat(UpstreamErrors.retryAfter("1.5", null)).isEqualTo(Duration.ofMillis(1500));
        assertThat(UpstreamErrors.retryAfter(null, "-5")).isNull();
        assertThat(UpstreamErrors.retryAfter("NaN", "Infinity")).isNull();
        assertThat(UpstreamErrors.retryAfter("-1", null)).isNull();
        assertThat(UpstreamErrors.retryAfter(null, null)).isNull();
        assertThat(UpstreamErrors.retryAfter("1e300", null)).isEqualTo(Duration.ofDays(1));
        assertThat(UpstreamErrors.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT", null)).isEqualTo(Duration.ZERO);
    }
}
