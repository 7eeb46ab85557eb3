package dev.arbiter.wire;

import dev.arbiter.llm.SseEvent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads server-sent events from a byte stream, per the WHATWG EventSource parsing rules (fields event, data;
 * comments and id/retry ignored; multi-line data joined with newlines; lines end in LF, CR LF or CR). Returns null
 * at end of stream.
 *
 * <p>An event's data (and any one line, comments included) is bounded: a stream that sends more without ending the
 * event fails with {@link EventTooLarge} instead of filling the memory. Hand-written over bytes rather than a
 * {@code BufferedReader}, whose {@code readLine} has no bound; decoding a line's bytes at once is also cheaper than
 * a {@code Reader}'s char-by-char decoding.
 */
public final class SseReader implements AutoCloseable {
    /** The bound when none is given. */
    public static final int DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024;

    /** An event or line longer than the reader's bound. */
    public static final class EventTooLarge extends IOException {
        private final int max;

        EventTooLarge(int max) {
            super("server-sent event larger than " + max + " bytes");
            this.max = max;
        }

        public int max() {
            return max;
        }
    }

    private final InputStream in;
    private final int maxEventBytes;
    private final byte[] buf = new byte[8192];
    private int pos;
    private int lim;
    private boolean eof;
    /** The last line ended in CR: a LF that follows belongs to it. */
    private boolean skipLf;
    /** A line that spans buffer fills, gathered here. */
    private byte[] pending = new byte[0];
    private int pendingLen;
    /** The byte length of the line {@link #readLine} returned last. */
    private int lastLineBytes;

    public SseReader(InputStream in) {
        this(in, DEFAULT_MAX_EVENT_BYTES);
    }

    public SseReader(InputStream in, int maxEventBytes) {
        this.in = in;
        this.maxEventBytes = maxEventBytes;
    }

    /** The next event with data, or null at end of stream. Comment-only blocks are skipped. */
    public SseEvent next() throws IOException {
        String event = null;
        StringBuilder data = null;
        long dataBytes = 0;
        String line;
        while ((line = readLine()) != null) {
            if (line.isEmpty()) {
                if (data != null) return new SseEvent(event, data.toString(), null);
                event = null;
                continue;
            }
            if (line.charAt(0) == ':') continue;
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) value = value.substring(1);
            switch (field) {
                case "event" -> event = value;
                case "data" -> {
                    dataBytes += lastLineBytes;
                    if (dataBytes > maxEventBytes) throw new EventTooLarge(maxEventBytes);
                    if (data == null) data = new StringBuilder(value.length());
                    else data.append('\n');
                    data.append(value);
                }
                default -> { }
            }
        }
        return data != null ? new SseEvent(event, data.toString(), null) : null;
    }

    /** The next line without its end, or null at end of stream; a last line without an end counts. */
    private String readLine() throws IOException {
        pendingLen = 0;
        if (pending.length > 64 * 1024) pending = new byte[0];   // one huge event does not hold its buffer for ever
        while (true) {
            if (pos == lim && !fill()) {
                if (pendingLen == 0) return null;
                return line(pending, 0, pendingLen);
            }
            if (skipLf) {
                skipLf = false;
                if (buf[pos] == '\n') {
                    pos++;
                    continue;
                }
            }
            int start = pos;
            int i = start;
            while (i < lim && buf[i] != '\n' && buf[i] != '\r') i++;
            if (pendingLen + (i - start) > maxEventBytes) throw new EventTooLarge(maxEventBytes);
            if (i == lim) {
                gather(start, i);
                pos = lim;
                continue;
            }
            skipLf = buf[i] == '\r';
            pos = i + 1;
            if (pendingLen == 0) return line(buf, start, i - start);
            gather(start, i);
            return line(pending, 0, pendingLen);
        }
    }

    private String line(byte[] b, int off, int len) {
        lastLineBytes = len;
        return len == 0 ? "" : new String(b, off, len, StandardCharsets.UTF_8);
    }

    private void gather(int from, int to) {
        int n = to - from;
        if (pendingLen + n > pending.length) pending = Arrays.copyOf(pending, Math.max(pendingLen + n, pending.length * 2));
        System.arraycopy(buf, from, pending, pendingLen, n);
        pendingLen += n;
    }

    private boolean fill() throws IOException {
        if (eof) return false;
        int n;
        do {
            n = in.read(buf, 0, buf.length);
        } while (n == 0);
        if (n < 0) {
            eof = true;
            pos = lim = 0;
            return false;
        }
        pos = 0;
        lim = n;
        return true;
    }

    /** Whether bytes of the next event are already buffered (the event itself may still be incomplete). */
    public boolean ready() {
        try {
            return pos < lim || in.available() > 0;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
