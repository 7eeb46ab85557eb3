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

    /** Serves the next connection on a daemon thread. */
    void serveOnce(Answer answer) {
        Thread.ofPlatform().daemon().start(() -> {
            try (Socket s = server.accept()) {
                readRequest(s.getInputStream());
                answer.write(s.getOutputStream());
            } catch (Exception e) {
                // the gateway hung up
            }
        });
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
    }
}
