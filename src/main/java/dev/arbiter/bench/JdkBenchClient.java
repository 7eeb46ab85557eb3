package dev.arbiter.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** {@link HttpClient} over HTTP/1.1, its async work on virtual threads; the gateway's own upstream client. */
final class JdkBenchClient implements BenchClient {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(TIMEOUT)
            .executor(executor)
            .build();

    @Override
    public Call prepare(Scenario s) {
        var b = HttpRequest.newBuilder(s.uri()).timeout(TIMEOUT).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(s.body()));
        s.headers().forEach(b::header);
        HttpRequest request = b.build();
        byte[] expect = s.expect().getBytes(StandardCharsets.UTF_8);
        return () -> {
            HttpResponse<InputStream> res;
            try {
                res = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            try (InputStream in = res.body()) {
                byte[] buf = new byte[8192];
                int n = in.read(buf);
                long first = System.nanoTime();
                int len = Math.max(n, 0);
                while (n >= 0) {
                    if (len == buf.length) buf = Arrays.copyOf(buf, buf.length * 2);
                    n = in.read(buf, len, buf.length - len);
                    if (n > 0) len += n;
                }
                return new Result(res.statusCode(), first, BenchClient.contains(buf, len, expect), len);
            }
        };
    }

    @Override
    public String describe() {
        return "jdk (java.net.http.HttpClient, HTTP/1.1, virtual-thread executor)";
    }

    @Override
    public void close() {
        client.close();
        executor.close();
    }
}
