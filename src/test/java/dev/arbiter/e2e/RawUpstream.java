package dev.arbiter.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A hand-written upstream for answers mock-upstream cannot give (a stream paused mid-event, headers trickled a
 * byte at a time): it accepts one connection, reads the whole request, and lets the test write the answer's bytes.
 */
final class RawUpstream implements AutoCloseable {
    /** Writes the answer; an exception (the gateway hung up) ends it quietly: the test judges what the client saw. */
    interface Answer {
        void write(OutputStream out) throws Exception;
    }

    private final ServerSocket server;
    private final java.util.concurrent.BlockingQueue<Answer> answers = new java.util.concurrent.LinkedBlockingQueue<>();
    private Thread acceptor;

    RawUpstream() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }

    /** Fixture models YAML: a model {@code name} served by this upstream as an OpenAI chat completions endpoint. */
    String model(String name) {
        return """
                  - name: %s
                    deployments: [{name: %s-up, provider: openai, base-url: "http://127.0.0.1:%d/v1", timeout: 20s}]
                """.formatted(name, name, server.getLocalPort());
    }

    /** The port it listens on. */
    int port() {
        return server.getLocalPort();
    }

    /**
     * Serves the next connection with {@code answer}, each on its own daemon thread. Answers go to connections in the
     * order they were given: one thread accepts for all of them (two threads each calling accept() gave the second
     * answer to the first connection at random).
     */
    void serveOnce(Answer answer) {
        answers.add(answer);
        synchronized (this) {
            if (acceptor == null) acceptor = Thread.ofPlatform().daemon().name("raw-upstream-accept").start(this::accept);
        }
    }

    private void accept() {
        while (!server.isClosed()) {
            Answer next;
            try {
                next = answers.take();
            } catch (InterruptedException e) {
                return;
            }
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            Thread.ofPlatform().daemon().start(() -> {
                try (s) {
                    readRequest(s.getInputStream());
                    next.write(s.getOutputStream());
                } catch (Exception e) {
                    // the gateway hung up
                }
            });
        }
    }

    private static void readRequest(InputStream in) throws IOException {
        var head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) throw new IOException("request ended in its head");
            head.append((char) b);
        }
        int length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) length = Integer.parseInt(line.substring(15).trim());
        }
        in.readNBytes(length);
    }

    @Override
    public void close() throws IOException {
        server.close();
        synchronized (this) {
            if (acceptor != null) acceptor.interrupt();
        }
    }
}
