package dev.arbiter.pipeline;

import dev.arbiter.llm.FrameStream;
import dev.arbiter.llm.LlmResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What the pipeline answers: a complete response or a stream of frames. {@code headers} are extra response headers
 * stages want the client to see (e.g. which tools were dropped); {@code attributes} are typed facts a stage hands to
 * the edge that writes the answer (e.g. the id a stateful endpoint assigned), keyed like the exchange's.
 */
public sealed interface Reply {
    ServedBy servedBy();

    Map<String, String> headers();

    Map<Attribute<?>, Object> attributes();

    Reply withHeader(String name, String value);

    /** This reply with every one of {@code more} as a header too (replacing one of the same name): one copy for all. */
    Reply withHeaders(Map<String, String> more);

    <T> Reply withAttribute(Attribute<T> key, T value);

    default <T> Optional<T> attribute(Attribute<T> key) {
        Object v = attributes().get(key);
        return v == null ? Optional.empty() : Optional.of(key.cast(v));
    }

    private static Map<String, String> plus(Map<String, String> headers, String name, String value) {
        var h = new HashMap<>(headers);
        h.put(name, value);
        return h;
    }

    private static Map<String, String> plus(Map<String, String> headers, Map<String, String> more) {
        var h = HashMap.<String, String>newHashMap(headers.size() + more.size());
        h.putAll(headers);
        h.putAll(more);
        return h;
    }

    private static Map<Attribute<?>, Object> plus(Map<Attribute<?>, Object> attributes, Attribute<?> key, Object value) {
        var a = new HashMap<>(attributes);
        a.put(key, value);
        return a;
    }

    record Complete(LlmResponse response, ServedBy servedBy, Map<String, String> headers, Map<Attribute<?>, Object> attributes)
            implements Reply {
        public Complete {
            headers = Map.copyOf(headers);
            attributes = Map.copyOf(attributes);
        }

        public Complete(LlmResponse response, ServedBy servedBy, Map<String, String> headers) {
            this(response, servedBy, headers, Map.of());
        }

        public Complete(LlmResponse response, ServedBy servedBy) {
            this(response, servedBy, Map.of(), Map.of());
        }

        @Override
        public Reply withHeader(String name, String value) {
            return new Complete(response, servedBy, plus(headers, name, value), attributes);
        }

        @Override
        public Reply withHeaders(Map<String, String> more) {
            return more.isEmpty() ? this : new Complete(response, servedBy, plus(headers, more), attributes);
        }

        @Override
        public <T> Reply withAttribute(Attribute<T> key, T value) {
            return new Complete(response, servedBy, headers, plus(attributes, key, value));
        }

        /** The same reply with another response (e.g. one whose reasoning was sealed). */
        public Complete withResponse(LlmResponse r) {
            return new Complete(r, servedBy, headers, attributes);
        }
    }

    record Streaming(FrameStream stream, ServedBy servedBy, Map<String, String> headers, Map<Attribute<?>, Object> attributes)
            implements Reply {
        public Streaming {
            headers = Map.copyOf(headers);
            attributes = Map.copyOf(attributes);
        }

        public Streaming(FrameStream stream, ServedBy servedBy, Map<String, String> headers) {
            this(stream, servedBy, headers, Map.of());
        }

        public Streaming(FrameStream stream, ServedBy servedBy) {
            this(stream, servedBy, Map.of(), Map.of());
        }

        @Override
        public Reply withHeader(String name, String value) {
            return new Streaming(stream, servedBy, plus(headers, name, value), attributes);
        }

        @Override
        public Reply withHeaders(Map<String, String> more) {
            return more.isEmpty() ? this : new Streaming(stream, servedBy, plus(headers, more), attributes);
        }

        @Override
        public <T> Reply withAttribute(Attribute<T> key, T value) {
            return new Streaming(stream, servedBy, headers, plus(attributes, key, value));
        }

        /** The same reply over another stream (e.g. one that observes the frames as they pass). */
        public Streaming withStream(FrameStream s) {
            return new Streaming(s, servedBy, headers, attributes);
        }
    }
}
