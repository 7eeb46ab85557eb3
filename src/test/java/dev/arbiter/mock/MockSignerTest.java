package dev.arbiter.mock;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.mock.MockSigner.Kind;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class MockSignerTest {
    private final MockSigner signer = new MockSigner(42);

    @Test
    void sign_isDeterministicAndVerifiesWithOrWithoutTheText() {
        String token = signer.sign(Kind.THINKING, "m", "I think.");
        assertThat(token).isEqualTo(new MockSigner(42).sign(Kind.THINKING, "m", "I think."));
        assertThat(Base64.getDecoder().decode(token)).hasSize(33);
        assertThat(signer.verify(Kind.THINKING, "m", "I think.", token)).isTrue();
        assertThat(signer.verify(Kind.THINKING, "m", "", token)).isTrue();
        assertThat(signer.verify(Kind.THINKING, "m", null, token)).isTrue();
    }

    @Test
    void verify_refusesAnyChangeOfTextModelKindTokenOrSecret() {
        String token = signer.sign(Kind.THINKING, "m", "I think.");
        assertThat(signer.verify(Kind.THINKING, "m", "I think!", token)).isFalse();
        assertThat(signer.verify(Kind.THINKING, "m2", "I think.", token)).isFalse();
        assertThat(signer.verify(Kind.THINKING, "m2", "", token)).isFalse();
        assertThat(signer.verify(Kind.ENCRYPTED_REASONING, "m", "", token)).isFalse();
        assertThat(new MockSigner(43).verify(Kind.THINKING, "m", "", token)).isFalse();
        assertThat(new MockSigner(-1).verify(Kind.THINKING, "m", "", new MockSigner(-1).sign(Kind.THINKING, "m", "x"))).isFalse();
        byte[] raw = Base64.getDecoder().decode(token);
        for (int i = 0; i < raw.length; i++) {
            byte[] changed = raw.clone();
            changed[i] ^= 1;
            assertThat(signer.verify(Kind.THINKING, "m", "", Base64.getEncoder().encodeToString(changed))).as("byte %d", i).isFalse();
        }
        assertThat(signer.verify(Kind.THINKING, "m", "", "not base64 !")).isFalse();
        assertThat(signer.verify(Kind.THINKING, "m", "", "")).isFalse();
        assertThat(signer.verify(Kind.THINKING, "m", "", null)).isFalse();
    }
}
