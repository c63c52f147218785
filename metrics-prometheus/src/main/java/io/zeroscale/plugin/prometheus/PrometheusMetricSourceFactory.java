package io.zeroscale.plugin.prometheus;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.spi.metrics.MetricSourceFactory;

/** Creates {@code type: prometheus} sources from their config (see {@link PrometheusConfig}). */
public final class PrometheusMetricSourceFactory implements MetricSourceFactory {
    @Override
    public String type() {
        return "prometheus";
    }

    @Override
    public MetricSource create(String name, Config config, PluginContext context) {
        requireNonNull(name, "name is null");
        requireNonNull(context, "context is null");
        return new PrometheusMetricSource(name, PrometheusConfig.from(config), context.scheduler().clock());
    }
}
