package io.zeroscale.plugin.docker;

import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.Subscription;
import java.time.Duration;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one host's event stream open: reconnects with backoff when it ends, and asks for a full
 * re-read whenever it (re)connects, since events sent while it was down are lost.
 */
final class HostWatch {
    private static final Logger log = LoggerFactory.getLogger(HostWatch.class);
    private static final Duration FIRST_RETRY = Duration.ofMillis(500);
    private static final Duration MAX_RETRY = Duration.ofSeconds(30);

    private final DockerEngine engine;
    private final Scheduler scheduler;
    private final Consumer<DockerEngine.EngineEvent> onEvent;
    private final Runnable onConnected;
    private final Object guard = new Object();
    private Subscription stream = Subscription.NONE;
    private Subscription retry = Subscription.NONE;
    private Duration backoff = FIRST_RETRY;
    private boolean connected;
    private boolean closed;

    HostWatch(DockerEngine engine, Scheduler scheduler, Consumer<DockerEngine.EngineEvent> onEvent,
            Runnable onConnected) {
        this.engine = engine;
        this.scheduler = scheduler;
        this.onEvent = onEvent;
        this.onConnected = onConnected;
    }

    void start() {
        synchronized (guard) {
            if (closed) {
                return;
            }
            stream = engine.events(this::started, onEvent, this::ended);
        }
    }

    boolean connected() {
        synchronized (guard) {
            return connected;
        }
    }

    private void started() {
        synchronized (guard) {
            if (!connected) {
                log.info("docker host {}: watching container events", engine.host());
            }
            connected = true;
            backoff = FIRST_RETRY;
        }
        onConnected.run();
    }

    private void ended(@Nullable Throwable error) {
        synchronized (guard) {
            if (closed) {
                return;
            }
            if (connected || backoff.equals(FIRST_RETRY)) {
                log.warn("docker host {}: the event stream ended ({}); reconnecting, polling meanwhile",
                        engine.host(), error == null ? "closed by the engine" : error.toString());
            }
            connected = false;
            Duration delay = backoff;
            backoff = backoff.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : backoff.multipliedBy(2);
            retry = scheduler.schedule(delay, this::start);
        }
    }

    void close() {
        synchronized (guard) {
            closed = true;
            retry.close();
            stream.close();
        }
    }
}
