package io.zeroscale.plugin.tempo;

import io.zeroscale.spi.Plugin;
import io.zeroscale.spi.metrics.MetricSourceFactory;
import java.util.List;

/** Provides the {@code tempo} metric source type. */
public final class TempoPlugin implements Plugin {
    @Override
    public List<MetricSourceFactory> metricSourceFactories() {
        return List.of(new TempoMetricSourceFactory());
    }
}
