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

    @org.junit.jupiter.api.Test
    void goDuration_readsOpenAisResetHeaders() {
        assertThat(UpstreamErrors.goDuration("1s")).isEqualTo(Duration.ofSeconds(1));
        assertThat(UpstreamErrors.goDuration("6m0s")).isEqualTo(Duration.ofMinutes(6));
        assertThat(UpstreamErrors.goDuration("20ms")).isEqualTo(Duration.ofMillis(20));
        assertThat(UpstreamErrors.goDuration("1h2m3.5s")).isEqualTo(Duration.ofMillis(3_723_500));
        assertThat(UpstreamErrors.goDuration("0.5s")).isEqualTo(Duration.ofMillis(500));
        assertThat(UpstreamErrors.goDuration("48h")).isEqualTo(Duration.ofDays(1));
        for (String bad : new String[] {"", "1", "s", "1x", "1s junk", "-1s", "1.5.2s"}) {
            assertThat(UpstreamErrors.goDuration(bad)).as(bad).isNull();
        }
    }

    @org.junit.jupiter.api.Test
    void rateLimitReset_theLimitThatRanOut_elseTheSooner_andOnlyFor429WithoutRetryAfter() {
        java.util.Map<String, String> h = new java.util.HashMap<>(java.util.Map.of("x-ratelimit-reset-requests", "2s",
                "x-ratelimit-reset-tokens", "6m0s"));
        assertThat(UpstreamErrors.rateLimitReset(h::get)).isEqualTo(Duration.ofSeconds(2));
        h.put("x-ratelimit-remaining-tokens", "0");
        h.put("x-ratelimit-remaining-requests", "12");
        assertThat(UpstreamErrors.rateLimitReset(h::get)).isEqualTo(Duration.ofMinutes(6));
        assertThat(UpstreamErrors.rateLimitReset(java.util.Map.<String, String>of()::get)).isNull();

        var errors = new UpstreamErrors("u", SecretMask.NONE);
        byte[] body = "{}".getBytes();
        assertThat(((dev.arbiter.error.ArbiterException.Upstream) errors.upstreamError(429, null, null, Duration.ofSeconds(2), body))
                .retryAfter()).isEqualTo(Duration.ofSeconds(2));
        assertThat(((dev.arbiter.error.ArbiterException.Upstream) errors.upstreamError(429, "1", null, Duration.ofSeconds(2), body))
                .retryAfter()).isEqualTo(Duration.ofSeconds(1));
        assertThat(((dev.arbiter.error.ArbiterException.Upstream) errors.upstreamError(503, null, null, Duration.ofSeconds(2), body))
                .retryAfter()).isNull();
    }
}
