package io.zeroscale.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Collects Netty's "LEAK:" reports (the build runs with paranoid leak detection), so a test class
 * fails when the gateway forgot to release a buffer instead of the leak going unnoticed in a log.
 */
public final class LeakRecorder extends AppenderBase<ILoggingEvent> {
    private static final List<String> LEAKS = new CopyOnWriteArrayList<>();

    @Override
    protected void append(ILoggingEvent event) {
        String message = event.getFormattedMessage();
        if (message != null && message.contains("LEAK:")) {
            LEAKS.add(message);
        }
    }

    /** Nudges the leak detector to look at collected buffers, then fails if any leaked. */
    static void assertNoLeaks() {
        System.gc();
        for (int i = 0; i < 64; i++) {
            ByteBuf probe = PooledByteBufAllocator.DEFAULT.buffer(16);
            probe.release();
        }
        assertThat(LEAKS).as("buffers leaked (Netty LEAK reports)").isEmpty();
    }
}
