package io.zeroscale.spi.events;

/**
 * Receives {@link EngineEvent}s; registered with {@link io.zeroscale.spi.PluginContext#subscribe}.
 *
 * <p>Threading: called on the thread of the target the event concerns (one target's events in
 * order; different targets' events concurrently), so it must return at once and never block: hand
 * slow work (an API call) to {@link io.zeroscale.spi.PluginContext#blockingExecutor()}. An exception
 * it throws is logged and does not reach the engine or other listeners.
 */
@FunctionalInterface
public interface EngineListener {
    /** One event; must not block. */
    void onEvent(EngineEvent event);
}
