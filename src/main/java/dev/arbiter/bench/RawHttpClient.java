package dev.arbiter.bench;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal HTTP/1.1 client: one request at a time per connection, idle connections kept per host in a LIFO
 * pool, the request pre-encoded to one byte array per scenario, the answer parsed by hand (content length or
 * chunked) into a per-connection buffer. It exists so the client's own cost, paid equally by direct and
 * gateway calls, is small next to the gateway's. A reused connection that fails before any answer byte (the
 * server closed it while idle) is retried once on a new one. A stalled server makes an open-loop client open a
 * connection per waiting request, so buffers start small and at most {@link #MAX_IDLE} connections per host
 * are kept once answered.
 */
final class RawHttpClient implements BenchClient {
    private static final int TIMEOUT_MILLIS = 10_000;
    private static final int MAX_IDLE = 256;

    private final Map<String, Pool> idle = new ConcurrentHashMap<>();
    private final ConcurrentLinkedDeque<Conn> all = new ConcurrentLinkedDeque<>();

    @Override
    public Call prepare(Scenario s) {
        URI uri = s.uri();
        int port = uri.getPort() < 0 ? 80 : uri.getPort();
        String authority = uri.getHost() + ":" + port;
        var address = new InetSocketAddress(uri.getHost(), port);
        var head = new StringBuilder("POST ").append(uri.getRawPath()).append(" HTTP/1.1\r\nhost: ").append(authority)
                .append("\r\ncontent-type: application/json\r\ncontent-length: ").append(s.body().length).append("\r\n");
        s.headers().forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
        head.append("\r\n");
        var wire = new ByteArrayOutputStream();
        wire.writeBytes(head.toString().getBytes(StandardCharsets.US_ASCII));
        wire.writeBytes(s.body());
        byte[] request = wire.toByteArray();
        byte[] expect = s.expect().getBytes(StandardCharsets.UTF_8);
        Pool pool = idle.computeIfAbsent(authority, k -> new Pool());
        return () -> {
            Conn c = pool.poll();
            if (c != null) {
                try {
                    return exchange(c, request, expect, pool);
                } catch (IOException e) {
                    discard(c);
                    if (c.answered) throw e;
                }
            }
            c = open(address);
            try {
                return exchange(c, request, expect, pool);
            } catch (IOException | RuntimeException e) {
                discard(c);
                throw e;
            }
        };
    }

    private Conn open(InetSocketAddress address) throws IOException {
        var socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(TIMEOUT_MILLIS);
        socket.connect(address, TIMEOUT_MILLIS);
        Conn c = new Conn(socket);
        all.add(c);
        return c;
    }

    private void discard(Conn c) {
        c.close();
        all.remove(c);
    }

    private Result exchange(Conn c, byte[] request, byte[] expect, Pool pool) throws IOException {
        c.answered = false;
        c.out.write(request);
        c.out.flush();
        String status = c.line();
        c.answered = true;
        if (status.length() < 12 || !status.startsWith("HTTP/1.")) throw new IOException("bad status line: " + status);
        int code = Integer.parseInt(status, 9, 12, 10);
        long length = -1;
        boolean chunked = false;
        boolean close = status.startsWith("HTTP/1.0");
        for (String h = c.line(); !h.isEmpty(); h = c.line()) {
            int colon = h.indexOf(':');
            if (colon < 0) continue;
            String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = h.substring(colon + 1).trim();
            switch (name) {
                case "content-length" -> length = Long.parseLong(value);
                case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                case "connection" -> close = value.equalsIgnoreCase("close");
                default -> { }
            }
        }
        c.fillIfEmpty();
        long first = System.nanoTime();
        c.bodyLength = 0;
        if (chunked) {
            for (int size = chunkSize(c.line()); size > 0; size = chunkSize(c.line())) {
                c.readBody(size);
                c.line();
            }
            while (!c.line().isEmpty()) {
                // trailers
            }
        } else if (length >= 0) {
            c.readBody(Math.toIntExact(length));
        } else {
            close = true;
            while (c.fillIfEmpty()) c.readBody(c.limit - c.pos);
        }
        var result = new Result(code, first, BenchClient.contains(c.body, c.bodyLength, expect), c.bodyLength);
        if (close || !pool.offer(c)) discard(c);
        return result;
    }

    private static int chunkSize(String line) throws IOException {
        int semi = line.indexOf(';');
        try {
            return Integer.parseInt((semi < 0 ? line : line.substring(0, semi)).trim(), 16);
        } catch (NumberFormatException e) {
            throw new IOException("bad chunk size: " + line);
        }
    }

    @Override
    public String describe() {
        return "raw (keep-alive sockets, pre-encoded requests, hand-parsed HTTP/1.1)";
    }

    @Override
    public void close() {
        for (Conn c : all) c.close();
        idle.clear();
    }

    private static final class Pool {
        private final ConcurrentLinkedDeque<Conn> conns = new ConcurrentLinkedDeque<>();
        private final AtomicInteger size = new AtomicInteger();

        Conn poll() {
            Conn c = conns.pollFirst();
            if (c != null) size.decrementAndGet();
            return c;
        }

        boolean offer(Conn c) {
            if (size.incrementAndGet() > MAX_IDLE) {
                size.decrementAndGet();
                return false;
            }
            conns.offerFirst(c);
            return true;
        }
    }

    private static final class Conn {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private final byte[] buf = new byte[4 * 1024];
        private int pos;
        private int limit;
        private byte[] body = new byte[1024];
        private int bodyLength;
        private boolean answered;

        Conn(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
        }

        boolean fillIfEmpty() throws IOException {
            if (pos < limit) return true;
            int n = in.read(buf, 0, buf.length);
            if (n < 0) return false;
            pos = 0;
            limit = n;
            return true;
        }

        String line() throws IOException {
            var sb = new StringBuilder(64);
            while (true) {
                if (!fillIfEmpty()) throw new EOFException("connection closed mid-answer");
                byte b = buf[pos++];
                if (b == '\n') {
                    int n = sb.length();
                    if (n > 0 && sb.charAt(n - 1) == '\r') sb.setLength(n - 1);
                    return sb.toString();
                }
                sb.append((char) (b & 0xff));
            }
        }

        void readBody(int n) throws IOException {
            if (bodyLength + n > body.length) body = Arrays.copyOf(body, Math.max(body.length * 2, bodyLength + n));
            while (n > 0) {
                if (!fillIfEmpty()) throw new EOFException("connection closed mid-body");
                int k = Math.min(n, limit - pos);
                System.arraycopy(buf, pos, body, bodyLength, k);
                pos += k;
                bodyLength += k;
                n -= k;
            }
        }

        void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // already gone
            }
        }
    }
}
