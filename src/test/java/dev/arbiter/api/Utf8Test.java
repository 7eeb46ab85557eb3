package dev.arbiter.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Utf8Test {
    /** The JDK's decoder with REPORT is strict per the Unicode Standard: the reference to agree with. */
    private static boolean jdkAccepts(byte[] b) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    @Test
    void firstInvalid_everySequenceOfUpToThreeBytesAndRandomLongerOnes_agreesWithTheJdksStrictDecoder() {
        for (int x = 0; x < 256; x++) {
            for (int y = 0; y < 256; y++) {
                byte[] two = {(byte) x, (byte) y};
                assertThat(Utf8.firstInvalid(two) < 0).as("%02x %02x", x, y).isEqualTo(jdkAccepts(two));
                for (int z : new int[] {0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xe0, 0xf0, 0xff}) {
                    byte[] three = {(byte) x, (byte) y, (byte) z};
                    assertThat(Utf8.firstInvalid(three) < 0).as("%02x %02x %02x", x, y, z).isEqualTo(jdkAccepts(three));
                }
            }
        }
        var random = new Random(12);
        byte[] alphabet = {'a', '"', 0x7f, (byte) 0x80, (byte) 0x8f, (byte) 0x90, (byte) 0xa0, (byte) 0xbf, (byte) 0xc0,
                (byte) 0xc2, (byte) 0xdf, (byte) 0xe0, (byte) 0xed, (byte) 0xef, (byte) 0xf0, (byte) 0xf4, (byte) 0xf5};
        for (int i = 0; i < 200_000; i++) {
            byte[] b = new byte[random.nextInt(24)];
            for (int k = 0; k < b.length; k++) b[k] = alphabet[random.nextInt(alphabet.length)];
            assertThat(Utf8.firstInvalid(b) < 0).isEqualTo(jdkAccepts(b));
        }
    }

    @Test
    void firstInvalid_afterALongAsciiRun_theOffsetOfTheBadSequence() {
        byte[] b = ("x".repeat(21) + "\u00c0\u00af").getBytes(StandardCharsets.ISO_8859_1);
        assertThat(Utf8.firstInvalid(b)).isEqualTo(21);
        assertThat(Utf8.firstInvalid("x".repeat(1000).getBytes(StandardCharsets.US_ASCII))).isEqualTo(-1);
        assertThat(Utf8.firstInvalid(new byte[0])).isEqualTo(-1);
    }
}
