package dev.arbiter.api;

import dev.arbiter.llm.SseEvent;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Reads server-sent events from a byte stream, per the WHATWG EventSource parsing rules (fields event, data;
 * comments and id/retry ignored; multi-line data joined with newlines). Returns null at end of stream.
 */
public final class SseReader implements AutoCloseable {
    private final BufferedReader in;

    public SseReader(InputStream in) {
        this.in = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 8192);
    }

    /** The next event with data, or null at end of stream. Comment-only blocks are skipped. */
    public SseEvent next() throws IOException {
        String event = null;
        StringBuilder data = null;
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) {
                if (data != null) return new SseEvent(event, data.toString(), null);
                event = null;
                continue;
            }
            if (line.charAt(0) == ':') continue;
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) value = value.substring(1);
            switch (field) {
                case "event" -> event = value;
                case "data" -> {
                    if (data == null) data = new StringBuilder(value.length());
                    else data.append('\n');
                    data.append(value);
                }
                default -> { }
            }
        }
        return data != null ? new SseEvent(event, data.toString(), null) : null;
    }

    /** Whether bytes of the next event are already buffered (the event itself may still be incomplete). */
    public boolean ready() {
        try {
            return in.ready();
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
