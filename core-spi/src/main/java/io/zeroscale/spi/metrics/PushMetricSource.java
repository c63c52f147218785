package io.zeroscale.spi.metrics;

import io.zeroscale.spi.Subscription;
import java.util.function.Consumer;

/** Capability: a source that pushes values as they happen (webhooks, streams). */
public interface PushMetricSource {
    /**
     * Delivers values of {@code query} to {@code listener} as they arrive. The listener must not
     * block. When the source loses its feed it delivers {@link SignalValue.Unknown}.
     */
    Subscription subscribe(MetricQuery query, Consumer<SignalValue> listener);
}
