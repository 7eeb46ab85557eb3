package dev.arbiter.bench;

import java.io.IOException;
import java.util.Locale;

/** The HTTP/1.1 client every scenario goes through, so direct and gateway calls pay the same client costs. */
public sealed interface BenchClient extends AutoCloseable permits RawHttpClient, JdkBenchClient {

    /** A scenario's request, built once and sent many times, possibly at once from many threads. */
    interface Call {
        Result send() throws IOException;
    }

    /**
     * One answer, read to its end.
     *
     * @param firstByteNanos {@link System#nanoTime()} when the first byte of the body arrived
     * @param expected whether the body contains the scenario's expected text
     */
    record Result(int status, long firstByteNanos, boolean expected, int bytes) {}

    Call prepare(Scenario s);

    String describe();

    @Override
    void close();

    /** {@code raw} (a minimal keep-alive socket client) or {@code jdk} (java.net.http.HttpClient, HTTP/1.1). */
    static BenchClient named(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "raw" -> new RawHttpClient();
            case "jdk" -> new JdkBenchClient();
            default -> throw new IllegalArgumentException("client: " + name + " (expected: raw or jdk)");
        };
    }

    static boolean contains(byte[] body, int length, byte[] needle) {
        outer:
        for (int i = length - needle.length; i >= 0; i--) {
            for (int j = 0; j < needle.length; j++) {
                if (body[i + j] != needle[j]) continue outer;
            }
            return true;
        }
        return false;
    }
}
