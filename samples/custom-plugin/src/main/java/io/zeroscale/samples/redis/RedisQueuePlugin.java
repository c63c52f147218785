package io.zeroscale.samples.redis;

import io.zeroscale.spi.Plugin;
import io.zeroscale.spi.metrics.MetricSourceFactory;
import java.util.List;

/**
 * The plugin's entry point, found by {@link java.util.ServiceLoader} through {@code
 * META-INF/services/io.zeroscale.spi.Plugin}. Cheap: it creates nothing until the daemon asks its
 * factory for a source.
 */
public final class RedisQueuePlugin implements Plugin {
    @Override
    public List<MetricSourceFactory> metricSourceFactories() {
        return List.of(new RedisQueueMetricSourceFactory());
    }
}
