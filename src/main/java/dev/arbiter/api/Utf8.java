package dev.arbiter.api;

import dev.arbiter.error.ArbiterException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Strict UTF-8 validation of request bodies, before Jackson reads them: only the well-formed byte sequences of
 * the Unicode Standard (chapter 3, table 3-7; RFC 3629) pass. Overlong forms ({@code C0 AF} for {@code /}),
 * UTF-16 surrogates ({@code ED A0 80}), code points above U+10FFFF ({@code F4 90 ..}, lead bytes
 * {@code F5..FF}), stray continuation bytes and truncated sequences are refused. Jackson's byte parser checks
 * only that continuation bytes look like continuation bytes, so without this it decodes overlong forms and
 * turns code points past U+10FFFF into lone surrogates that reach the upstream.
 *
 * <p>Hand-written because the JDK's strict decoder ({@code CharsetDecoder} with {@code REPORT}) allocates a
 * char buffer as large as the body, and Guava's {@code Utf8.isWellFormed} would bring a 3 MB dependency for
 * these lines. ASCII, nearly all of a JSON body, is checked eight bytes at a time; the rest byte by byte.
 */
final class Utf8 {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long HIGH_BITS = 0x8080808080808080L;

    private Utf8() {}

    /** Throws a 400 {@code invalid_encoding} naming the offset of the first malformed sequence, if any. */
    static void requireValid(byte[] bytes) {
        int bad = firstInvalid(bytes);
        if (bad >= 0) {
            throw new ArbiterException.BadRequest("The request body is not valid UTF-8 (malformed byte sequence at byte "
                    + bad + ")", null, "invalid_encoding");
        }
    }

    /** The offset of the first byte of the first malformed sequence, or -1 when all of {@code b} is well-formed. */
    static int firstInvalid(byte[] b) {
        int n = b.length;
        int i = 0;
        while (i < n) {
            if (i + 8 <= n && ((long) LONGS.get(b, i) & HIGH_BITS) == 0) {
                i += 8;
                continue;
            }
            int c = b[i] & 0xFF;
            if (c < 0x80) {
                i++;
                continue;
            }
            int length;
            int low = 0x80;     // the range of the second byte (table 3-7); later bytes are always 80..BF
            int high = 0xBF;
            if (c >= 0xC2 && c <= 0xDF) {
                length = 2;
            } else if (c >= 0xE0 && c <= 0xEF) {
                length = 3;
                if (c == 0xE0) low = 0xA0;          // overlong below U+0800
                else if (c == 0xED) high = 0x9F;    // surrogates D800..DFFF
            } else if (c >= 0xF0 && c <= 0xF4) {
                length = 4;
                if (c == 0xF0) low = 0x90;          // overlong below U+10000
                else if (c == 0xF4) high = 0x8F;    // above U+10FFFF
            } else {
                return i;                           // continuation byte, C0/C1 (overlong) or F5..FF
            }
            if (i + length > n) return i;
            int second = b[i + 1] & 0xFF;
            if (second < low || second > high) return i;
            for (int k = 2; k < length; k++) {
                if ((b[i + k] & 0xC0) != 0x80) return i;
            }
            i += length;
        }
        return -1;
    }
}
