package dev.arbiter.mock;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.mock.MockPlan.Fault;
import io.helidon.http.Header;
import io.helidon.webserver.http.ServerRequest;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The fake upstream's counters: lock-free adders per path and fault kind (fixed key sets, created up front),
 * and the last request, replaced as one immutable value. A snapshot reads each adder once, so it is consistent
 * per counter, not across counters.
 */
final class MockStats {
    private static final int MAX_BODY = 64 * 1024;
    private static final int MAX_HEADERS = 64;
    private static final int MAX_VALUE = 1024;
    private static final List<String> FAULTS = List.of("error", "rate_limited", "hang", "reset", "malformed", "drop");
    private static final Set<String> CREDENTIALS = Set.of("authorization", "x-api-key", "api-key", "proxy-authorization");
    private static final Last NONE = new Last("", Map.of(), "");

    private record Last(String path, Map<String, String> headers, String body) {}

    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> faults = new ConcurrentHashMap<>();
    private final LongAdder started = new LongAdder();
    private final LongAdder completed = new LongAdder();
    private final LongAdder cancelled = new LongAdder();
    private volatile Last last = NONE;
    private final LongAdder otlpExports = new LongAdder();
    private final LongAdder otlpBytes = new LongAdder();

    MockStats() {
        for (String p : MockUpstream.PATHS) requests.put(p, new LongAdder());
        for (String f : FAULTS) faults.put(f, new LongAdder());
    }

    void request(String path, ServerRequest req, byte[] body) {
        requests.get(path).increment();
        var headers = new LinkedHashMap<String, String>();
        for (Header h : req.headers()) {
            if (headers.size() == MAX_HEADERS) break;
            String v = h.values();
            headers.put(h.headerName().lowerCase(), v.length() > MAX_VALUE ? v.substring(0, MAX_VALUE) : v);
        }
        String text = new String(body, 0, Math.min(body.length, MAX_BODY), StandardCharsets.UTF_8);
        last = new Last(path, Collections.unmodifiableMap(headers), text);
    }

    /** An OTLP trace export received, of {@code bytes}. */
    void otlp(int bytes) {
        otlpExports.increment();
        otlpBytes.add(bytes);
    }

    void fault(Fault f) {
        if (!(f instanceof Fault.None)) faults.get(f.kind()).increment();
    }

    void streamStarted() {
        started.increment();
    }

    void streamCompleted() {
        completed.increment();
    }

    void streamCancelled() {
        cancelled.increment();
    }

    void reset() {
        requests.values().forEach(LongAdder::reset);
        faults.values().forEach(LongAdder::reset);
        started.reset();
        completed.reset();
        cancelled.reset();
        otlpExports.reset();
        otlpBytes.reset();
        last = NONE;
    }

    MockUpstream.Stats snapshot() {
        Last l = last;
        return new MockUpstream.Stats(sums(requests), started.sum(), completed.sum(), cancelled.sum(), sums(faults),
                l.path(), l.headers(), l.body());
    }

    private static Map<String, Long> sums(Map<String, LongAdder> m) {
        var out = new TreeMap<String, Long>();
        m.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** The snapshot as JSON, credential header values masked. */
    ObjectNode json() {
        MockUpstream.Stats s = snapshot();
        var f = JsonNodeFactory.instance;
        ObjectNode o = f.objectNode().put("fake", "arbiter mock-upstream");
        ObjectNode req = o.putObject("requests");
        s.requests().forEach(req::put);
        o.putObject("streams").put("started", s.streamsStarted()).put("completed", s.streamsCompleted())
                .put("cancelled", s.streamsCancelled());
        ObjectNode fl = o.putObject("faults");
        s.faults().forEach(fl::put);
        o.putObject("otlp").put("exports", otlpExports.sum()).put("bytes", otlpBytes.sum());
        ObjectNode lr = o.putObject("last_request").put("path", s.lastPath());
        ObjectNode h = lr.putObject("headers");
        s.lastHeaders().forEach((k, v) -> h.put(k, CREDENTIALS.contains(k) ? mask(v) : v));
        lr.put("body", s.lastBody());
        return o;
    }

    private static String mask(String v) {
        return v.length() <= 10 ? "****" : v.substring(0, 6) + "****";
    }
}
