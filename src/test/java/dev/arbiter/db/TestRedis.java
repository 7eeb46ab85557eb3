package dev.arbiter.db;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A private, real Redis server for tests that stop Redis mid-test: its own {@code redis-server} process on a free
 * loopback port, nothing on disk, stopped and started again on the same port at will, so that stopping it never
 * disturbs other tests (or other builds) that use the shared Redis on 6379. Tests that only read and write use the
 * shared one, with keys of their own.
 */
public final class TestRedis implements AutoCloseable {
    private final int port;
    private final Path dir;
    private Process process;

    private TestRedis(int port, Path dir) {
        this.port = port;
        this.dir = dir;
    }

    /** Whether a {@code redis-server} binary is on the PATH (tests that need one assume it). */
    public static boolean available() {
        for (String p : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(p, "redis-server"))) return true;
        }
        return false;
    }

    /** Starts a private Redis on a free port. */
    public static TestRedis start() throws IOException, InterruptedException {
        int port;
        try (var s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        var r = new TestRedis(port, Files.createTempDirectory("arbiter-redis"));
        r.up();
        return r;
    }

    public int port() {
        return port;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** Starts the server again (same port) after {@link #stop}. */
    public synchronized void up() throws IOException, InterruptedException {
        if (process != null && process.isAlive()) return;
        process = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--daemonize", "no")
                .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < until) {
            try (var s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                Thread.sleep(20);
            }
        }
        throw new IOException("private redis-server did not start on port " + port);
    }

    /** Stops the server (its data is gone) and waits until the port no longer answers. */
    public synchronized void stop() throws InterruptedException {
        if (process == null) return;
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
        process = null;
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
