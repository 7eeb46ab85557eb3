package dev.arbiter.e2e;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.zip.GZIPInputStream;

/**
 * A real OTLP/HTTP trace receiver on loopback: decodes each {@code POST /v1/traces} body (protobuf, as the exporter
 * sends it) with the OpenTelemetry proto classes and keeps the spans, with the resource's attributes and the request
 * headers of each export.
 */
final class OtlpReceiver implements AutoCloseable {
    /** One received span: ids in hex, attributes flattened to Java values. */
    record Received(String traceId, String spanId, String parentSpanId, String name, Span.SpanKind kind, int statusCode,
                    String statusMessage, Map<String, Object> attributes, List<String> events, long start, long end,
                    Map<String, Object> resource) {
        String string(String key) {
            return (String) attributes.get(key);
        }

        Long number(String key) {
            return (Long) attributes.get(key);
        }

        boolean isError() {
            return statusCode == io.opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_ERROR_VALUE;
        }
    }

    private static final HexFormat HEX = HexFormat.of();
    private final HttpServer server;
    final List<Received> spans = new CopyOnWriteArrayList<>();
    final List<Map<String, String>> exportHeaders = new CopyOnWriteArrayList<>();

    OtlpReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/traces", exchange -> {
            try (exchange) {
                var headers = new ConcurrentHashMap<String, String>();
                exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), String.join(",", v)));
                exportHeaders.add(headers);
                InputStream in = exchange.getRequestBody();
                if ("gzip".equals(headers.get("content-encoding"))) in = new GZIPInputStream(in);
                var req = ExportTraceServiceRequest.parseFrom(in.readAllBytes());
                for (var rs : req.getResourceSpansList()) {
                    Map<String, Object> resource = attributes(rs.getResource().getAttributesList());
                    for (var ss : rs.getScopeSpansList()) {
                        for (Span s : ss.getSpansList()) {
                            spans.add(new Received(HEX.formatHex(s.getTraceId().toByteArray()), HEX.formatHex(s.getSpanId().toByteArray()),
                                    HEX.formatHex(s.getParentSpanId().toByteArray()), s.getName(), s.getKind(), s.getStatus().getCodeValue(),
                                    s.getStatus().getMessage(), attributes(s.getAttributesList()),
                                    s.getEventsList().stream().map(Span.Event::getName).toList(), s.getStartTimeUnixNano(),
                                    s.getEndTimeUnixNano(), resource));
                        }
                    }
                }
                byte[] ok = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
                exchange.getResponseHeaders().add("content-type", "application/x-protobuf");
                exchange.sendResponseHeaders(200, ok.length == 0 ? -1 : ok.length);
                if (ok.length > 0) exchange.getResponseBody().write(ok);
            }
        });
        server.start();
    }

    private static Map<String, Object> attributes(List<KeyValue> kvs) {
        var out = new java.util.LinkedHashMap<String, Object>();
        for (KeyValue kv : kvs) out.put(kv.getKey(), value(kv.getValue()));
        return out;
    }

    private static Object value(AnyValue v) {
        return switch (v.getValueCase()) {
            case STRING_VALUE -> v.getStringValue();
            case INT_VALUE -> v.getIntValue();
            case DOUBLE_VALUE -> v.getDoubleValue();
            case BOOL_VALUE -> v.getBoolValue();
            default -> v.toString();
        };
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The spans of one trace, once they satisfy {@code complete} (10 s at most). */
    List<Received> await(String traceId, Predicate<List<Received>> complete) {
        long until = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < until) {
            List<Received> of = spans.stream().filter(s -> s.traceId().equals(traceId)).toList();
            if (complete.test(of)) return of;
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("spans of trace " + traceId + " did not arrive: " + spans.stream()
                .filter(s -> s.traceId().equals(traceId)).map(Received::name).toList());
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
