package io.zeroscale.samples.redis;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.spi.metrics.MetricSourceFactory;

/** Makes {@code type: redis-queue} sources. Validates config; connects on the first query. */
final class RedisQueueMetricSourceFactory implements MetricSourceFactory {
    static final String TYPE = "redis-queue";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public MetricSource create(String name, Config config, PluginContext context) {
        return new RedisQueueMetricSource(name, RedisQueueConfig.from(config), context.scheduler().clock());
    }
}
