package dev.arbiter.llm;

import java.nio.charset.StandardCharsets;

/** One server-sent event: an optional event name and its data. A comment frame has a null data. */
public record SseEvent(String event, String data, String comment) {

    public static SseEvent data(String data) {
        return new SseEvent(null, data, null);
    }

    public static SseEvent named(String event, String data) {
        return new SseEvent(event, data, null);
    }

    public static SseEvent comment(String text) {
        return new SseEvent(null, null, text);
    }

    /** The event as it goes on the wire, blank line included. */
    public byte[] toBytes() {
        var sb = new StringBuilder(data == null ? 32 : data.length() + 32);
        if (comment != null) sb.append(':').append(comment).append('\n');
        if (event != null) sb.append("event: ").append(event).append('\n');
        if (data != null) {
            int start = 0;
            while (true) {
                int nl = data.indexOf('\n', start);
                sb.append("data: ").append(data, start, nl < 0 ? data.length() : nl).append('\n');
                if (nl < 0) break;
                start = nl + 1;
            }
        }
        sb.append('\n');
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
}
