package dev.arbiter.observe;

import ch.qos.logback.classic.LoggerContext;
import org.slf4j.LoggerFactory;

/**
 * Ends logging: writes every queued line and stops the appenders. Called last by each command's shutdown, after
 * the server drained, so that the lines of the drain itself are not lost (Logback's own shutdown hook would run
 * beside ours and could stop the appenders first).
 */
public final class Logs {
    private Logs() {
    }

    public static void stop() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) context.stop();
    }
}
