package io.zeroscale.engine;

import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.events.EngineEvent;
import io.zeroscale.spi.events.EngineListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plugins' {@link EngineListener}s ({@link io.zeroscale.spi.PluginContext#subscribe}). Made
 * before the plugins, so a factory can subscribe in {@code create}, and fed by the engine once it
 * runs. A listener that throws is logged and skipped; the others still hear of the event.
 */
final class EngineEvents implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EngineEvents.class);

    private final List<EngineListener> listeners = new CopyOnWriteArrayList<>();

    Subscription subscribe(EngineListener listener) {
        listeners.add(java.util.Objects.requireNonNull(listener, "listener is null"));
        return () -> listeners.remove(listener);
    }

    /** True when nobody listens: the engine then builds no event. */
    boolean isEmpty() {
        return listeners.isEmpty();
    }

    void publish(EngineEvent event) {
        for (EngineListener listener : listeners) {
            try {
                listener.onEvent(event);
            } catch (RuntimeException e) {
                log.warn("engine listener {} failed on {}", listener, event, e);
            }
        }
    }

    @Override
    public void close() {
        listeners.clear();
    }
}
