package dev.arbiter.pipeline;

import dev.arbiter.llm.FrameStream;
import dev.arbiter.llm.LlmResponse;
import java.util.Map;

/**
 * What the pipeline answers: a complete response or a stream of frames. {@code headers} are extra
 * response headers stages want the client to see (e.g. which tools were dropped).
 */
public sealed interface Reply {
    ServedBy servedBy();

    Map<String, String> headers();

    Reply withHeader(String name, String value);

    record Complete(LlmResponse response, ServedBy servedBy, Map<String, String> headers) implements Reply {
        public Complete {
            headers = Map.copyOf(headers);
        }

        public Complete(LlmResponse response, ServedBy servedBy) {
            this(response, servedBy, Map.of());
        }

        @Override
        public Reply withHeader(String name, String value) {
            var h = new java.util.HashMap<>(headers);
            h.put(name, value);
            return new Complete(response, servedBy, h);
        }
    }

    record Streaming(FrameStream stream, ServedBy servedBy, Map<String, String> headers) implements Reply {
        public Streaming {
            headers = Map.copyOf(headers);
        }

        public Streaming(FrameStream stream, ServedBy servedBy) {
            this(stream, servedBy, Map.of());
        }

        @Override
        public Reply withHeader(String name, String value) {
            var h = new java.util.HashMap<>(headers);
            h.put(name, value);
            return new Streaming(stream, servedBy, h);
        }

        /** The same reply over another stream (e.g. one that observes the frames as they pass). */
        public Streaming withStream(FrameStream s) {
            return new Streaming(s, servedBy, headers);
        }
    }
}
