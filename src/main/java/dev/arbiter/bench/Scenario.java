package dev.arbiter.bench;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * One kind of request the load generator sends: a POST of {@code body} to {@code base + path}.
 *
 * @param name how the report names it, e.g. {@code gateway-chat}
 * @param base the server's base URL, e.g. {@code http://127.0.0.1:18080}
 * @param headers request headers besides host, content-type and content-length
 * @param stream whether the answer is a server-sent event stream (its time to first byte is recorded)
 * @param expect text a successful answer contains, so a 200 with the wrong body counts as an error
 * @param baseline for a call through the gateway, the direct scenario it is compared with; empty for a direct call
 */
public record Scenario(String name, URI base, String path, byte[] body, Map<String, String> headers, boolean stream,
                       String expect, String baseline) {
    public Scenario {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("name: required");
        if (base == null || !"http".equals(base.getScheme())) throw new IllegalArgumentException("base: " + base + " (expected: an http URL)");
        if (path == null || !path.startsWith("/")) throw new IllegalArgumentException("path: " + path + " (expected: starting with /)");
        headers = Map.copyOf(headers);
        body = body.clone();
        baseline = baseline == null ? "" : baseline;
    }

    public Scenario(String name, URI base, String path, String body, Map<String, String> headers, boolean stream,
                    String expect, String baseline) {
        this(name, base, path, body.getBytes(StandardCharsets.UTF_8), headers, stream, expect, baseline);
    }

    /** Whether this scenario goes through the gateway and is compared with a direct baseline. */
    public boolean viaGateway() {
        return !baseline.isEmpty();
    }

    @Override
    public byte[] body() {
        return body.clone();
    }

    URI uri() {
        return base.resolve(path);
    }
}
