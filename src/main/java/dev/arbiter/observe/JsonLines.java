package dev.arbiter.observe;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.EncoderBase;
import ch.qos.logback.core.spi.AppenderAttachable;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

/**
 * Log lines as JSON objects, one a line ({@code observe.json-logs: true}): {@code ts}, {@code level}, {@code logger},
 * {@code thread}, {@code message}, {@code request_id} (from the MDC while a request runs, or the access line's own),
 * the event's key-value pairs as fields of their own (the access line's model, status, tokens, cost, ...), and
 * {@code error} with the stack trace when there is one.
 *
 * <p>Hand-written over Logback's own {@code JsonEncoder}: that one nests key-value pairs in a list of one-field
 * objects and adds context fields per line; log shippers want flat fields. Jackson does the escaping, so a caller's
 * text cannot break a line.
 */
public final class JsonLines extends EncoderBase<ILoggingEvent> {
    /** The field (and MDC key) of the request id. */
    public static final String REQUEST_ID = "request_id";
    private static final JsonFactory JSON = new JsonFactory();

    @Override
    public byte[] headerBytes() {
        return null;
    }

    @Override
    public byte[] footerBytes() {
        return null;
    }

    @Override
    public byte[] encode(ILoggingEvent e) {
        var out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("ts", Instant.ofEpochMilli(e.getTimeStamp()).toString());
            g.writeStringField("level", e.getLevel().toString());
            g.writeStringField("logger", e.getLoggerName());
            g.writeStringField("thread", e.getThreadName());
            g.writeStringField("message", e.getFormattedMessage());
            Map<String, String> mdc = e.getMDCPropertyMap();
            boolean hasId = false;
            if (e.getKeyValuePairs() != null) {
                for (KeyValuePair kv : e.getKeyValuePairs()) {
                    if (kv.key.equals(REQUEST_ID)) hasId = true;
                    writeValue(g, kv.key, kv.value);
                }
            }
            if (!hasId && mdc != null && mdc.get(REQUEST_ID) != null) g.writeStringField(REQUEST_ID, mdc.get(REQUEST_ID));
            IThrowableProxy t = e.getThrowableProxy();
            if (t != null) g.writeStringField("error", ThrowableProxyUtil.asString(t));
            g.writeEndObject();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        out.write('\n');
        return out.toByteArray();
    }

    private static void writeValue(JsonGenerator g, String key, Object v) throws IOException {
        switch (v) {
            case null -> g.writeNullField(key);
            case Integer i -> g.writeNumberField(key, i);
            case Long l -> g.writeNumberField(key, l);
            case Double d when Double.isFinite(d) -> g.writeNumberField(key, d);
            case Boolean b -> g.writeBooleanField(key, b);
            default -> g.writeStringField(key, String.valueOf(v));
        }
    }

    /**
     * Switches the console output to JSON lines: every console appender of the configuration (also those behind
     * {@link BatchingAppender}) gets this encoder. Called once at start, before the server takes requests.
     */
    public static void install() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) return;
        for (var logger : context.getLoggerList()) {
            for (Iterator<Appender<ILoggingEvent>> it = logger.iteratorForAppenders(); it.hasNext(); ) install(context, it.next());
        }
    }

    private static void install(LoggerContext context, Appender<ILoggingEvent> a) {
        if (a instanceof AppenderAttachable<?> parent) {
            @SuppressWarnings("unchecked")
            var p = (AppenderAttachable<ILoggingEvent>) parent;
            for (Iterator<Appender<ILoggingEvent>> it = p.iteratorForAppenders(); it.hasNext(); ) install(context, it.next());
        }
        if (a instanceof OutputStreamAppender<ILoggingEvent> out && !(out.getEncoder() instanceof JsonLines)) {
            var encoder = new JsonLines();
            encoder.setContext(context);
            encoder.start();
            out.setEncoder(encoder);
        }
    }
}
