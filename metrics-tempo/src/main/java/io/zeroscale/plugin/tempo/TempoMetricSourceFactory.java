package io.zeroscale.plugin.tempo;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.spi.metrics.MetricSourceFactory;

/** Creates {@code type: tempo} sources from their config (see {@link TempoConfig}). */
public final class TempoMetricSourceFactory implements MetricSourceFactory {
    @Override
    public String type() {
        return "tempo";
    }

    @Override
    public MetricSource create(String name, Config config, PluginContext context) {
        requireNonNull(name, "name is null");
        requireNonNull(context, "context is null");
        return new TempoMetricSource(name, TempoConfig.from(config), context.scheduler().clock());
    }
}
