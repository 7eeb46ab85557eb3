package dev.arbiter.error;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UntrustedTest {
    @Test
    void text_plain_isReturnedAsIs() {
        String s = "gpt-4o-mini";
        assertThat(Untrusted.text(s)).isSameAs(s);
    }

    @Test
    void text_lineBreaksAndControls_areEscapedOnOneLine() {
        assertThat(Untrusted.text("m\r\nX-Injected: 1\u0000\u001b[31m\u0085\u2028"))
                .isEqualTo("m\\r\\nX-Injected: 1\\u0000\\u001b[31m\\u0085\\u2028")
                .doesNotContain("\n", "\r", "\u0000", "\u001b");
    }

    @Test
    void text_backslash_isEscapedSoEscapesCannotBeForged() {
        assertThat(Untrusted.text("a\\nb")).isEqualTo("a\\\\nb");
    }

    @Test
    void text_long_isCutWithACount() {
        String big = "x".repeat(4 * 1024 * 1024);
        String out = Untrusted.text(big);
        assertThat(out).hasSizeLessThan(300).startsWith("xxx").endsWith("...(" + (big.length() - 256) + " more chars)");
    }

    @Test
    void text_cutInsideSurrogatePair_dropsTheHalf() {
        String s = "a".repeat(9) + "\uD83D\uDE00" + "b";
        String out = Untrusted.text(s, 10);
        assertThat(out).startsWith("a".repeat(9) + "...(");
    }

    @Test
    void text_null_isTheWordNull() {
        assertThat(Untrusted.text(null)).isEqualTo("null");
    }
}
