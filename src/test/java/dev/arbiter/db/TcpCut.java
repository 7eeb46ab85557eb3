package dev.arbiter.db;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback TCP forwarder in front of a real service (PostgreSQL, Redis) that a test can cut: {@link #cut()} closes
 * every open connection and refuses new ones, as a stopped server does, and {@link #restore()} accepts again on the
 * same port. Tests that need "the database went down mid-test" use it instead of stopping the shared service, which
 * other tests and builds on the machine are using.
 */
public final class TcpCut implements AutoCloseable {
    private final int targetPort;
    private final ServerSocket server;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean refusing;

    public TcpCut(int targetPort) throws IOException {
        this.targetPort = targetPort;
        // The listening socket stays bound for the whole test: closing it on cut() and binding the same port again
        // on restore() raced with other tests' sockets taking the freed port ("Address already in use").
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("tcp-cut-accept").start(this::accept);
    }

    /** The port to point the gateway at. */
    public int port() {
        return server.getLocalPort();
    }

    /**
     * Closes every forwarded connection and refuses new ones until {@link #restore()}: a new connection is reset as
     * soon as it is accepted, which a client sees as a server that went away.
     */
    public void cut() {
        refusing = true;
        for (Socket c : open) closeQuietly(c);
        open.clear();
    }

    /** Forwards connections again, on the same port. */
    public void restore() {
        refusing = false;
    }

    private void accept() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            if (refusing) {
                reset(client);
                continue;
            }
            try {
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                open.add(client);
                open.add(upstream);
                pipe(client, upstream);
                pipe(upstream, client);
            } catch (IOException e) {
                reset(client); // the target refused
            }
        }
    }

    private static void reset(Socket s) {
        try {
            s.setSoLinger(true, 0);
        } catch (IOException ignored) {
            // closing below is what matters
        }
        closeQuietly(s);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    private void pipe(Socket from, Socket to) {
        Thread.ofVirtual().name("tcp-cut-pipe").start(() -> {
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                in.transferTo(out);
            } catch (IOException ignored) {
                // a side closed
            } finally {
                closeQuietly(from);
                closeQuietly(to);
                open.remove(from);
                open.remove(to);
            }
        });
    }

    @Override
    public void close() throws IOException {
        cut();
        server.close();
    }
}
