package io.zeroscale.spi.alert;

/**
 * Delivers alerts somewhere people look: a webhook, Alertmanager, a pager. Created by an
 * {@link AlertSinkFactory} from the daemon's {@code alerts.sinks.<name>} config.
 *
 * <p>The engine calls {@link #send} on its blocking executor (a virtual thread), one call per
 * alert, possibly several at once from different threads, so implementations must be thread-safe.
 * Deduplication, rate limiting and resolution are the engine's: a sink delivers what it is given.
 */
public interface AlertSink extends AutoCloseable {
    /**
     * Delivers one alert, blocking until the receiver accepted it. Not retried by the engine beyond
     * what the sink does itself; a failure is logged and counted, and the alert is not re-sent.
     *
     * @throws io.zeroscale.spi.ZeroscaleException naming the receiver and what it answered, when
     *     it could not be delivered
     */
    void send(Alert alert);

    /** Releases clients; called once when the engine closes. Idempotent, never throws. */
    @Override
    default void close() {}
}
