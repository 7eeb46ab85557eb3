package dev.arbiter.api;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Frames the bytes a client sends on one HTTP/1 connection into requests before Helidon reads them, and hands Helidon
 * only what it frames safely.
 *
 * <p>Why it exists (a workaround for Helidon 4.5.0's HTTP/1 connection, {@code Http1Connection}): its chunk reader
 * parses a chunk-size line with extensions ({@code 2b;ext=1}) as a number and fails mid-body, and does not read
 * trailers; it never closes a connection after answering a request that said {@code Connection: close} (RFC 9112 9.6),
 * and skips the rest of such a request's body without reading it, so the bytes after a failed body were read as the
 * next request (request smuggling); a body cut short surfaced as an internal error; and it refuses HTTP/1.0
 * ({@code Http1Prologue} accepts only {@code HTTP/1.1}). This class sits between the socket and Helidon's reader:
 *
 * <ul>
 *   <li>A request head is gathered whole (up to {@link #MAX_HEAD} bytes) and parsed: request line, header names,
 *       {@code Content-Length}, {@code Transfer-Encoding}, {@code Connection}. A head this class cannot frame with
 *       certainty (bare CR or LF, obsolete line folding, a bad header name, both framing headers, conflicting or
 *       malformed lengths, a coding other than {@code chunked}, another HTTP version) is passed on as it came and
 *       nothing after it: Helidon refuses it (400, 414, 431, 505) and, seeing the input end, closes the connection.</li>
 *   <li>A chunked body is decoded here (extensions ignored, trailers read and dropped, as RFC 9112 7.1.1 and 7.1.2
 *       allow) and passed on re-chunked with plain size lines; a malformed one fails the read with {@link Malformed}
 *       and ends the input. A length-delimited body is passed on byte for byte, and one that ends early fails too.</li>
 *   <li>After a request that closes the connection ({@code Connection: close}, or HTTP/1.0 without keep-alive)
 *       nothing more is passed on, so pipelined requests after it are never read.</li>
 *   <li>HTTP/1.0 is passed on as HTTP/1.1 with the header {@link #HTTP10} ({@code close} or {@code keep-alive}), which
 *       the edge reads to answer as HTTP/1.0 allows (no chunked encoding); a client's own header of that name is dropped,
 *       and {@code Connection: close} is added when the 1.0 client did not ask for keep-alive.</li>
 * </ul>
 *
 * <p>Not thread-safe: one instance per connection, fed by the connection's reading thread. Hand-written because no
 * library offers an incremental HTTP/1 request framer that can sit under Helidon's reader.
 */
final class RequestFramer {
    /** Larger than Helidon's own limits (request line 4 KiB, headers 16 KiB), so Helidon's 414 and 431 still apply. */
    static final int MAX_HEAD = 32 * 1024;
    private static final int MAX_CHUNK_LINE = 4096;
    private static final int MAX_TRAILERS = 16 * 1024;
    /** The header that tells the edge a request came as HTTP/1.0, and whether the client asked to keep the connection. */
    static final String HTTP10 = "x-arbiter-http10";
    private static final byte[] CRLF = {'\r', '\n'};

    /** Where the framer is in the connection's input. */
    enum Phase {
        /** Between requests: no byte of the next one yet. */
        AWAIT,
        /** Part of a request head has come. */
        HEAD,
        /** Inside a request body. */
        BODY,
        /** Nothing more is passed on: the connection ends once the current answer is written. */
        DONE
    }

    /** A request body that cannot be framed: the request fails with 400 and the connection closes. */
    static final class Malformed extends RuntimeException {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    private enum Chunk { SIZE, DATA, DATA_CR, DATA_LF, TRAILERS }

    private Phase phase = Phase.AWAIT;
    private final ByteArrayOutputStream head = new ByteArrayOutputStream(512);
    private boolean chunked;
    private long remaining;
    private Chunk chunk = Chunk.SIZE;
    private final StringBuilder line = new StringBuilder();
    private int trailerBytes;
    /** The last four bytes of the head gathered so far, to find its end (CRLF CRLF) without scanning it again. */
    private int tail;
    private boolean closeAfter;
    private int requests;
    private Malformed failure;
    private int heads;

    Phase phase() {
        return phase;
    }

    /** Request heads begun so far (their first byte came). */
    int heads() {
        return heads;
    }

    /** Requests whose head was passed on so far. */
    int requests() {
        return requests;
    }

    /**
     * Takes bytes the client sent and returns those to pass on to Helidon (possibly none, while a head is incomplete).
     *
     * @throws Malformed when a body cannot be framed; nothing is passed on after it
     */
    byte[] feed(byte[] in) {
        throwFailure();
        var out = new ByteArrayOutputStream(in.length + 64);
        int i = 0;
        try {
            while (i < in.length && phase != Phase.DONE) {
                i = switch (phase) {
                    case AWAIT, HEAD -> head(in, i, out);
                    case BODY -> chunked ? chunked(in, i, out) : length(in, i, out);
                    case DONE -> in.length;
                };
            }
        } catch (Malformed e) {
            phase = Phase.DONE;
            if (out.size() == 0) throw e;
            failure = e;   // what came before it (a head, part of a body) is passed on first; the failure on the next read
        }
        return out.toByteArray();
    }

    /** Throws, once, a body failure found after bytes that were passed on before it. */
    void throwFailure() {
        Malformed f = failure;
        failure = null;
        if (f != null) throw f;
    }

    /**
     * The client closed its side (or the read failed). Between requests that ends the connection quietly.
     *
     * @throws Malformed when it came inside a body
     */
    void end() {
        Phase was = phase;
        phase = Phase.DONE;
        if (was == Phase.BODY) {
            throw new Malformed(chunked ? "The request body ended before its last chunk (the connection was closed)"
                    : "The request body ended " + remaining + " bytes short of its Content-Length (the connection was closed)");
        }
    }

    /** Stops passing anything on (a timeout, or an error the edge answered). */
    void stop() {
        phase = Phase.DONE;
    }

    private int head(byte[] in, int from, ByteArrayOutputStream out) {
        if (phase == Phase.AWAIT) heads++;
        phase = Phase.HEAD;
        int start = head.size();
        // look for CRLF CRLF, also across the previous input's end
        int end = -1;
        for (int i = from; i < in.length; i++) {
            head.write(in[i]);
            tail = tail << 8 | in[i] & 0xff;
            if (tail == 0x0d0a0d0a || tail == 0x0d0a && head.size() == 2) {
                end = i + 1;
                break;
            }
            if (head.size() > MAX_HEAD) break;
        }
        if (end < 0) {
            if (head.size() > MAX_HEAD) {
                // too large for us: Helidon answers 414 or 431 from what it gets, and gets nothing more
                out.writeBytes(head.toByteArray());
                phase = Phase.DONE;
            }
            return in.length;
        }
        byte[] bytes = head.toByteArray();
        head.reset();
        tail = 0;
        if (start == 0 && leadingBlankLines(bytes) == bytes.length) {
            // empty lines between requests are ignored (RFC 9112 2.2)
            phase = Phase.AWAIT;
            heads--;
            return end;
        }
        requests++;
        Head h = Head.parse(bytes);
        if (h == null) {
            // not framed with certainty: Helidon refuses it, and reads nothing after it
            out.writeBytes(bytes);
            phase = Phase.DONE;
            return end;
        }
        out.writeBytes(h.bytes());
        closeAfter = h.close();
        chunked = h.chunked();
        remaining = h.length();
        chunk = Chunk.SIZE;
        line.setLength(0);
        trailerBytes = 0;
        if (chunked || remaining > 0) phase = Phase.BODY;
        else requestDone();
        return end;
    }

    private static int leadingBlankLines(byte[] b) {
        int i = 0;
        while (i + 1 < b.length && b[i] == '\r' && b[i + 1] == '\n') i += 2;
        return i;
    }

    private void requestDone() {
        phase = closeAfter ? Phase.DONE : Phase.AWAIT;
    }

    private int length(byte[] in, int from, ByteArrayOutputStream out) {
        int n = (int) Math.min(remaining, in.length - from);
        out.write(in, from, n);
        remaining -= n;
        if (remaining == 0) requestDone();
        return from + n;
    }

    private int chunked(byte[] in, int from, ByteArrayOutputStream out) {
        int i = from;
        while (i < in.length && phase == Phase.BODY) {
            switch (chunk) {
                case SIZE -> {
                    byte b = in[i++];
                    if (b == '\n') {
                        remaining = chunkSize();
                        line.setLength(0);
                        chunk = remaining == 0 ? Chunk.TRAILERS : Chunk.DATA;
                    } else {
                        if (line.length() >= MAX_CHUNK_LINE) throw malformed("a chunk-size line longer than " + MAX_CHUNK_LINE + " bytes");
                        line.append((char) (b & 0xff));
                    }
                }
                case DATA -> {
                    int n = (int) Math.min(remaining, in.length - i);
                    out.writeBytes(Integer.toHexString(n).getBytes(StandardCharsets.US_ASCII));
                    out.writeBytes(CRLF);
                    out.write(in, i, n);
                    out.writeBytes(CRLF);
                    i += n;
                    remaining -= n;
                    if (remaining == 0) chunk = Chunk.DATA_CR;
                }
                case DATA_CR -> {
                    if (in[i++] != '\r') throw malformed("chunk data longer than its size (expected CRLF after the chunk)");
                    chunk = Chunk.DATA_LF;
                }
                case DATA_LF -> {
                    if (in[i++] != '\n') throw malformed("a bare CR after chunk data (expected CRLF)");
                    chunk = Chunk.SIZE;
                }
                case TRAILERS -> {
                    byte b = in[i++];
                    if (++trailerBytes > MAX_TRAILERS) throw malformed("trailer fields longer than " + MAX_TRAILERS + " bytes");
                    if (b != '\n') {
                        line.append((char) (b & 0xff));
                        continue;
                    }
                    if (line.isEmpty() || line.charAt(line.length() - 1) != '\r') throw malformed("a trailer line not ended by CRLF");
                    boolean last = line.length() == 1;
                    if (!last && !Head.validField(line.substring(0, line.length() - 1))) throw malformed("a malformed trailer field");
                    line.setLength(0);
                    if (last) {
                        out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                        requestDone();
                    }
                }
            }
        }
        return i;
    }

    /** The size of a {@code chunk-size [chunk-ext] CRLF} line (RFC 9112 7.1); the extensions are checked and ignored. */
    private long chunkSize() {
        int n = line.length();
        if (n == 0 || line.charAt(n - 1) != '\r') throw malformed("a chunk-size line not ended by CRLF");
        int i = 0;
        long size = 0;
        while (i < n - 1 && hex(line.charAt(i)) >= 0) {
            if (i >= 15) throw malformed("a chunk size too large");
            size = size * 16 + hex(line.charAt(i));
            i++;
        }
        if (i == 0) throw malformed("a chunk-size line without a hexadecimal size");
        String ext = line.substring(i, n - 1);
        if (!ext.isEmpty() && !validExtensions(ext)) throw malformed("a malformed chunk extension");
        return size;
    }

    private static int hex(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    /** {@code *( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] )}, checked loosely: visible text only. */
    private static boolean validExtensions(String ext) {
        String s = ext.stripLeading();
        if (s.isEmpty()) return true;   // whitespace after the size: tolerated
        if (!s.startsWith(";")) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 && c != '\t' || c == 0x7f) return false;
        }
        return true;
    }

    private static Malformed malformed(String what) {
        return new Malformed("The chunked request body is malformed: " + what);
    }

    /** A parsed request head and the bytes to pass on for it. */
    private record Head(byte[] bytes, boolean chunked, long length, boolean close) {

        /** The head framed, or null when it cannot be framed with certainty. */
        static Head parse(byte[] raw) {
            int skip = leadingBlankLines(raw);
            String text = new String(raw, skip, raw.length - skip - 4, StandardCharsets.ISO_8859_1);
            String joined = text.replace("\r\n", "");
            if (joined.indexOf('\n') >= 0 || joined.indexOf('\r') >= 0) return null;   // a bare LF or CR
            String[] lines = text.split("\r\n", -1);
            String[] parts = lines[0].split(" ", -1);
            if (parts.length != 3) return null;
            boolean http10;
            switch (parts[2]) {
                case "HTTP/1.1" -> http10 = false;
                case "HTTP/1.0" -> http10 = true;
                default -> {
                    return null;
                }
            }
            List<String> te = new ArrayList<>();
            List<String> cl = new ArrayList<>();
            boolean closeToken = false;
            boolean keepAliveToken = false;
            boolean host = false;
            boolean marker = false;
            for (int k = 1; k < lines.length; k++) {
                String l = lines[k];
                if (!validField(l)) return null;
                int colon = l.indexOf(':');
                String name = l.substring(0, colon).toLowerCase(Locale.ROOT);
                String value = l.substring(colon + 1).strip();
                switch (name) {
                    case "transfer-encoding" -> te.addAll(tokens(value));
                    case "content-length" -> cl.addAll(tokens(value));
                    case "connection" -> {
                        for (String t : tokens(value)) {
                            closeToken |= t.equals("close");
                            keepAliveToken |= t.equals("keep-alive");
                        }
                    }
                    case "host" -> host = true;
                    case HTTP10 -> marker = true;
                    default -> { }
                }
            }
            boolean chunked = false;
            long length = 0;
            if (!te.isEmpty()) {
                // HTTP/1.0 with Transfer-Encoding is faulty framing (RFC 9112 6.1)
                if (http10 || !cl.isEmpty() || te.size() != 1 || !te.getFirst().equals("chunked")) return null;
                chunked = true;
            } else if (!cl.isEmpty()) {
                String first = cl.getFirst();
                if (!first.matches("[0-9]{1,18}") || !cl.stream().allMatch(first::equals)) return null;
                length = Long.parseLong(first);
            }
            boolean close = closeToken || http10 && !keepAliveToken;
            if (!http10 && !marker) {
                return new Head(skip == 0 ? raw : java.util.Arrays.copyOfRange(raw, skip, raw.length), chunked, length, close);
            }
            // rewritten: HTTP/1.0 passed on as HTTP/1.1 with the marker, a client's own marker dropped
            var sb = new StringBuilder(raw.length + 64).append(parts[0]).append(' ').append(parts[1]).append(" HTTP/1.1\r\n");
            for (int k = 1; k < lines.length; k++) {
                if (!lines[k].regionMatches(true, 0, HTTP10 + ":", 0, HTTP10.length() + 1)) sb.append(lines[k]).append("\r\n");
            }
            if (http10) {
                sb.append(HTTP10).append(": ").append(close ? "close" : "keep-alive").append("\r\n");
                if (close && !closeToken) sb.append("Connection: close\r\n");
                if (!host) sb.append("Host: localhost\r\n");
            }
            sb.append("\r\n");
            return new Head(sb.toString().getBytes(StandardCharsets.ISO_8859_1), chunked, length, close);
        }

        /** {@code token ":" OWS value OWS} with no whitespace before the colon, no folding and no control characters. */
        static boolean validField(String l) {
            int colon = l.indexOf(':');
            if (colon <= 0) return false;
            for (int i = 0; i < colon; i++) {
                if (!tchar(l.charAt(i))) return false;
            }
            for (int i = colon + 1; i < l.length(); i++) {
                char c = l.charAt(i);
                if (c < 0x20 && c != '\t' || c == 0x7f) return false;
            }
            return true;
        }

        private static boolean tchar(char c) {
            return c > 0x20 && c < 0x7f && "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0;
        }

        private static List<String> tokens(String value) {
            var out = new ArrayList<String>(2);
            for (String t : value.split(",")) {
                String s = t.strip().toLowerCase(Locale.ROOT);
                if (!s.isEmpty()) out.add(s);
            }
            return out;
        }
    }
}
