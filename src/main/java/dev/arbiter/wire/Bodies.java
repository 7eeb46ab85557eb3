package dev.arbiter.wire;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/** Reading whole HTTP bodies, the caller's requests and the upstreams' answers, without oversized buffers. */
public final class Bodies {
    /** The first buffer for a body of unknown length; most LLM API bodies without a length fit in it. */
    private static final int FIRST_CHUNK = 4096;

    private Bodies() {}

    /**
     * Reads {@code in} to its end or to {@code max} bytes, whichever comes first. With a declared length (a
     * Content-Length of at most {@code max}; negative when unknown) it reads into one array of exactly that
     * size: {@link InputStream#readNBytes(int)} would start with a 16 KiB buffer and copy the result out, which
     * was the largest allocation per request in the gateway (two per call: the request and the answer).
     * A body shorter than declared comes back as what arrived.
     */
    public static byte[] read(InputStream in, long declared, int max) throws IOException {
        if (declared >= 0 && declared <= max) {
            byte[] body = new byte[(int) declared];
            int n = in.readNBytes(body, 0, body.length);
            return n == body.length ? body : Arrays.copyOf(body, n);
        }
        byte[] first = new byte[Math.min(max, FIRST_CHUNK)];
        int n = in.readNBytes(first, 0, first.length);
        if (n < first.length || n == max) return n == first.length ? first : Arrays.copyOf(first, n);
        byte[] rest = in.readNBytes(max - n);
        byte[] body = Arrays.copyOf(first, n + rest.length);
        System.arraycopy(rest, 0, body, n, rest.length);
        return body;
    }
}
