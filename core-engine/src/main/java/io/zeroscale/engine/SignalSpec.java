package io.zeroscale.engine;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.metrics.MetricQuery;
import java.time.Duration;

/**
 * One signal of a policy: which metric source answers it, the query, and the window it is
 * evaluated over.
 *
 * @param name the signal's name, as guards and targets refer to it
 * @param source the metric source's name under {@code metrics:}
 * @param query the query with its options
 * @param window how far back the query looks (default 1m)
 */
public record SignalSpec(String name, String source, MetricQuery query, Duration window) {
    public SignalSpec {
        requireNonNull(name, "name is null");
        requireNonNull(source, "source is null");
        requireNonNull(query, "query is null");
        requireNonNull(window, "window is null");
    }
}
