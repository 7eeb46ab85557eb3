package dev.arbiter.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class BodiesTest {
    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) ('a' + i % 26);
        return b;
    }

    @Test
    void aDeclaredLengthIsReadWhole() throws IOException {
        byte[] body = bytes(700);
        assertThat(Bodies.read(new ByteArrayInputStream(body), 700, 1000)).isEqualTo(body);
    }

    @Test
    void aBodyShorterThanDeclaredComesBackAsWhatArrived() throws IOException {
        assertThat(Bodies.read(new ByteArrayInputStream(bytes(300)), 700, 1000)).isEqualTo(bytes(300));
    }

    @Test
    void withoutALengthSmallAndLargeBodiesAreReadToTheirEnd() throws IOException {
        for (int n : new int[] {0, 1, 4095, 4096, 4097, 100_000}) {
            assertThat(Bodies.read(new ByteArrayInputStream(bytes(n)), -1, 1_000_000)).as("%d bytes", n).isEqualTo(bytes(n));
        }
    }

    @Test
    void neverMoreThanTheLimit() throws IOException {
        assertThat(Bodies.read(new ByteArrayInputStream(bytes(10_000)), -1, 5000)).isEqualTo(Arrays.copyOf(bytes(10_000), 5000));
        assertThat(Bodies.read(new ByteArrayInputStream(bytes(10_000)), -1, 100)).isEqualTo(Arrays.copyOf(bytes(10_000), 100));
        // a declared length over the limit is not trusted with an allocation
        assertThat(Bodies.read(new ByteArrayInputStream(bytes(10_000)), 10_000, 5000)).hasSize(5000);
    }
}
