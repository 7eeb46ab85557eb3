package dev.arbiter.observe;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.arbiter.error.Untrusted;

/**
 * The {@code %oneLineMsg} conversion word: an event's formatted message with control characters escaped and its
 * length bounded (16,384 characters), so no value logged anywhere (a caller's model name, an upstream's body, a
 * library's message) can forge a line, write a terminal escape or make a line of megabytes. Exceptions are written
 * by {@code %ex} apart from it, as usual. Runs on the log writer thread, off the request's path.
 */
public final class OneLineMessage extends ClassicConverter {
    static final int MAX_CHARS = 16_384;

    @Override
    public String convert(ILoggingEvent event) {
        return Untrusted.text(event.getFormattedMessage(), MAX_CHARS);
    }
}
