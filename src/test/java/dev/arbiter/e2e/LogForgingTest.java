package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.arbiter.observe.OneLineMessage;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** A caller's text cannot forge a log line, write control bytes into one, or make a line or an error body huge. */
class LogForgingTest {
    private static Fixture f;
    private static final ListAppender<ILoggingEvent> access = new ListAppender<>();

    @BeforeAll
    static void start() {
        f = new Fixture();
        access.start();
        ((Logger) LoggerFactory.getLogger("arbiter.access")).addAppender(access);
    }

    @AfterAll
    static void stop() {
        ((Logger) LoggerFactory.getLogger("arbiter.access")).detachAppender(access);
        f.close();
    }

    private static List<String> linesOf(String requestId) {
        synchronized (access.list) {
            return access.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains(requestId)).toList();
        }
    }

    @Test
    void modelName_withLineBreaksAndControls_staysOnOneEscapedLine() {
        String rid = "forge-1";
        var r = f.post("/v1/chat/completions", "{\"model\":\"m\\r\\nX-Injected: 1\\u0000\\u001b[31m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                Map.of("x-request-id", rid));
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).doesNotContain("\\r\\nX-Injected").contains("m\\\\r\\\\nX-Injected: 1");
        var lines = linesOf(rid);
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).doesNotContain("\r", "\n", "\u0000", "\u001b").contains("model=m\\r\\nX-Injected: 1\\u0000\\u001b[31m");
    }

    @Test
    void modelName_ofMegabytes_makesASmallLineAndASmallError() {
        String rid = "forge-2";
        String huge = "x".repeat(4 * 1024 * 1024);
        var r = f.post("/v1/chat/completions", "{\"model\":\"" + huge + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                Map.of("x-request-id", rid));
        // the fixture's body limit is 256 KiB: send a name under it too
        assertThat(r.statusCode()).isIn(404, 413);
        assertThat(r.body().length()).isLessThan(2048);
        String big = "y".repeat(200_000);
        var r2 = f.post("/v1/chat/completions", "{\"model\":\"" + big + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                Map.of("x-request-id", "forge-3"));
        assertThat(r2.statusCode()).isEqualTo(404);
        assertThat(r2.body().length()).isLessThan(2048);
        assertThat(linesOf("forge-3")).singleElement().satisfies(l -> assertThat(l.length()).isLessThan(1024));
    }

    @Test
    void logPattern_anyMessage_isWrittenOnOneLine() {
        var ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        var layout = new PatternLayout();
        layout.setContext(ctx);
        layout.getInstanceConverterMap().put("oneLineMsg", OneLineMessage::new);
        layout.setPattern("%oneLineMsg%n");
        layout.start();
        var event = new LoggingEvent("x", ctx.getLogger("x"), ch.qos.logback.classic.Level.WARN,
                "upstream said: {}", null, new Object[] {"bad\r\nFAKE 12:00:00 INFO forged" + "z".repeat(100_000)});
        String out = layout.doLayout(event);
        assertThat(out.strip()).doesNotContain("\n", "\r").contains("bad\\r\\nFAKE");
        assertThat(out.length()).isLessThan(17_000);
    }
}
