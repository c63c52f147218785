package io.zeroscale.spi.metrics;

import java.time.Duration;

/**
 * A source of signals that the engine pulls on each tick (Prometheus, Tempo). A source that also
 * pushes implements {@link PushMetricSource}.
 *
 * <p>Threading: {@link #query} is called from virtual threads, concurrently for different queries;
 * it may block, and must honour its own timeout.
 */
public interface MetricSource extends AutoCloseable {
    /**
     * Checks a query when config is loaded (syntax, options), so mistakes stop startup instead of
     * reading as unknown forever. The default accepts everything.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} naming the signal and
     *     quoting the backend's own message where it has one
     */
    default void validate(MetricQuery query) {}

    /**
     * Evaluates {@code query} over the {@code window} that ends now. Never throws for backend
     * failures: those are {@link SignalValue.Unknown} with the reason. An empty result is unknown
     * unless the query's options say otherwise.
     */
    SignalValue query(MetricQuery query, Duration window);

    /** Releases connections. */
    @Override
    void close();
}
