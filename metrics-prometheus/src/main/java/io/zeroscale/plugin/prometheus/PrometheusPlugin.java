package io.zeroscale.plugin.prometheus;

import io.zeroscale.spi.Plugin;
import io.zeroscale.spi.metrics.MetricSourceFactory;
import java.util.List;

/** Provides the {@code prometheus} metric source type. */
public final class PrometheusPlugin implements Plugin {
    @Override
    public List<MetricSourceFactory> metricSourceFactories() {
        return List.of(new PrometheusMetricSourceFactory());
    }
}
