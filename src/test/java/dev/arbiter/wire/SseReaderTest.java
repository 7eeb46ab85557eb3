package dev.arbiter.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arbiter.llm.SseEvent;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseReaderTest {
    /** Hands out one byte per read, so every line and line end spans reads. */
    private static InputStream trickle(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8)) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 1));
            }
        };
    }

    private static List<SseEvent> all(SseReader r) throws IOException {
        var out = new ArrayList<SseEvent>();
        for (SseEvent e; (e = r.next()) != null; ) out.add(e);
        return out;
    }

    @Test
    void next_everyLineEnd_commentsAndMultiLineData() throws IOException {
        String s = ": hi\r\nevent: a\r\ndata: one\r\ndata:two\r\n\r\ndata: x\rdata: y\r\rdata: é\n\ndata: last";
        for (InputStream in : List.of(new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8)), trickle(s))) {
            assertThat(all(new SseReader(in))).containsExactly(new SseEvent("a", "one\ntwo", null),
                    new SseEvent(null, "x\ny", null), new SseEvent(null, "é", null), new SseEvent(null, "last", null));
        }
    }

    @Test
    void next_lineOverTheBound_fails() {
        String longLine = "data: " + "x".repeat(5000) + "\n\n";
        assertThatThrownBy(() -> new SseReader(new ByteArrayInputStream(longLine.getBytes(StandardCharsets.UTF_8)), 4096).next())
                .isInstanceOf(SseReader.EventTooLarge.class);
        String longComment = ":" + "x".repeat(5000) + "\n";
        assertThatThrownBy(() -> new SseReader(trickle(longComment), 4096).next()).isInstanceOf(SseReader.EventTooLarge.class);
    }

    @Test
    void next_manyDataLinesOverTheBound_fails_eventsWithinItPass() throws IOException {
        String line = "data: " + "x".repeat(1000) + "\n";
        assertThatThrownBy(() -> new SseReader(new ByteArrayInputStream((line.repeat(5) + "\n").getBytes(StandardCharsets.UTF_8)), 4096).next())
                .isInstanceOf(SseReader.EventTooLarge.class);
        var r = new SseReader(new ByteArrayInputStream((line.repeat(3) + "\n").repeat(10).getBytes(StandardCharsets.UTF_8)), 4096);
        assertThat(all(r)).hasSize(10);
    }
}
