package io.zeroscale.daemon;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Switches the console log to one JSON object per line ({@code telemetry.log-format: json}). */
public final class LogFormat {
    private LogFormat() {}

    /** With {@code json} true, the root logger's console output becomes JSON lines from now on. */
    public static void apply(boolean json) {
        if (!json) {
            return;
        }
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (!(factory instanceof LoggerContext context)) {
            return;
        }
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        List<ConsoleAppender<ILoggingEvent>> consoles = new ArrayList<>();
        for (Iterator<Appender<ILoggingEvent>> appenders = root.iteratorForAppenders(); appenders.hasNext(); ) {
            if (appenders.next() instanceof ConsoleAppender<ILoggingEvent> console) {
                consoles.add(console);
            }
        }
        for (ConsoleAppender<ILoggingEvent> console : consoles) {
            JsonEncoder encoder = new JsonEncoder();
            encoder.setContext(context);
            encoder.start();
            ConsoleAppender<ILoggingEvent> replacement = new ConsoleAppender<>();
            replacement.setContext(context);
            replacement.setName(console.getName() + "-json");
            replacement.setTarget(console.getTarget());
            replacement.setEncoder(encoder);
            replacement.start();
            root.addAppender(replacement);
            // Detached, not stopped: stopping a console appender closes the stream it writes to.
            root.detachAppender(console);
        }
    }
}
