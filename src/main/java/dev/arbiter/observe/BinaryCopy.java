package dev.arbiter.observe;

import java.nio.charset.StandardCharsets;

/**
 * Rows encoded in PostgreSQL's binary {@code COPY} format
 * (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4): a header, then per row a field count and
 * each field as a length and its bytes in the type's binary send format, then a trailer. Chosen over the text format
 * because the server then parses no numbers or timestamps: for the request log that parsing was a large part of
 * PostgreSQL's work per row on the machine the gateway shares with it.
 *
 * <p>The caller writes fields in the table's column order, with the column's exact type (an {@code integer} column
 * takes {@link #int4}, a {@code bigint} one {@link #int8}); a mismatch fails the whole {@code COPY}. Not thread-safe;
 * reused batch after batch by one writer thread.
 */
final class BinaryCopy {
    private static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0};
    /** Microseconds from the Unix epoch to PostgreSQL's, 2000-01-01T00:00:00Z. */
    private static final long PG_EPOCH_MICROS = 946_684_800_000_000L;

    private final Buffer out = new Buffer();

    /** Starts a new batch: the header, with no flags and no extension. */
    BinaryCopy begin() {
        out.reset();
        out.write(SIGNATURE, 0, SIGNATURE.length);
        out.int32(0);
        out.int32(0);
        return this;
    }

    BinaryCopy row(int fields) {
        out.int16(fields);
        return this;
    }

    BinaryCopy text(String s) {
        if (s == null) return nul();
        // ASCII without NUL (ids, names, codes: nearly every value) is written as is, without an array per value
        int n = s.length();
        int i = 0;
        while (i < n && s.charAt(i) > 0 && s.charAt(i) < 0x80) i++;
        if (i == n) {
            out.int32(n);
            out.ascii(s);
            return this;
        }
        // PostgreSQL's text cannot hold NUL; a caller's model name could carry one, and one such row must not fail a batch
        byte[] b = s.replace('\0', '\uFFFD').getBytes(StandardCharsets.UTF_8);
        out.int32(b.length);
        out.write(b, 0, b.length);
        return this;
    }

    BinaryCopy int4(int v) {
        out.int32(4);
        out.int32(v);
        return this;
    }

    BinaryCopy int8(long v) {
        out.int32(8);
        out.int64(v);
        return this;
    }

    BinaryCopy float8(double v) {
        out.int32(8);
        out.int64(Double.doubleToRawLongBits(v));
        return this;
    }

    BinaryCopy bool(boolean v) {
        out.int32(1);
        out.write(v ? 1 : 0);
        return this;
    }

    /** A {@code timestamptz}, from milliseconds since the Unix epoch. */
    BinaryCopy timestamptz(long epochMillis) {
        return int8(epochMillis * 1000 - PG_EPOCH_MICROS);
    }

    BinaryCopy nul() {
        out.int32(-1);
        return this;
    }

    /** Ends the batch with the trailer; the encoded bytes are {@link #bytes()}[0, {@link #size()}). */
    BinaryCopy end() {
        out.int16(-1);
        return this;
    }

    byte[] bytes() {
        return out.buffer();
    }

    int size() {
        return out.size();
    }

    /** A growable byte buffer (ByteArrayOutputStream's methods are synchronized, needlessly here). */
    private static final class Buffer {
        private byte[] buf = new byte[64 * 1024];
        private int size;

        void reset() {
            size = 0;
        }

        byte[] buffer() {
            return buf;
        }

        int size() {
            return size;
        }

        private void room(int n) {
            if (size + n > buf.length) buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, size + n));
        }

        void write(byte[] b, int off, int len) {
            room(len);
            System.arraycopy(b, off, buf, size, len);
            size += len;
        }

        /** Writes a string known to be ASCII, a byte per char. */
        void ascii(String s) {
            int n = s.length();
            room(n);
            for (int i = 0; i < n; i++) buf[size++] = (byte) s.charAt(i);
        }

        void write(int b) {
            room(1);
            buf[size++] = (byte) b;
        }

        void int16(int v) {
            room(2);
            buf[size++] = (byte) (v >>> 8);
            buf[size++] = (byte) v;
        }

        void int32(int v) {
            int16(v >>> 16);
            int16(v);
        }

        void int64(long v) {
            int32((int) (v >>> 32));
            int32((int) v);
        }
    }
}
