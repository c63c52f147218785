package io.zeroscale.samples.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.Plugin;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.metrics.MetricQuery;
import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.spi.metrics.MetricSourceFactory;
import io.zeroscale.testkit.TestPluginContext;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** ServiceLoader finds the plugin; its factory validates config and queries strictly, touching no Redis. */
class RedisQueuePluginTest {
    private final TestPluginContext context = TestPluginContext.at(Instant.parse("2026-12-06T12:00:00Z"));

    @AfterEach
    void close() {
        context.close();
    }

    @Test
    void serviceLoaderFindsTheRedisQueueFactory() {
        List<String> types = ServiceLoader.load(Plugin.class).stream()
                .flatMap(provider -> provider.get().metricSourceFactories().stream())
                .map(MetricSourceFactory::type)
                .toList();

        assertThat(types).containsExactly("redis-queue");
    }

    @Test
    void createAndCloseWithoutARedis() {
        MetricSource source = factory().create("redis", Config.of("metrics.redis", Map.of("url", "redis://127.0.0.1:1")), context);
        source.close();
        source.close();
    }

    @Test
    void unknownKeyIsRefusedWithASuggestion() {
        assertThatThrownBy(() -> factory().create("redis", Config.of("metrics.redis", Map.of("url", "redis://127.0.0.1:6379", "timout", "1s")), context))
                .isInstanceOf(ZeroscaleException.class)
                .hasMessageContaining("metrics.redis.timout")
                .hasMessageContaining("timeout");
    }

    @Test
    void urlMustBeARedisUrl() {
        assertThatThrownBy(() -> factory().create("redis", Config.of("metrics.redis", Map.of("url", "http://127.0.0.1:6379")), context))
                .isInstanceOf(ZeroscaleException.class)
                .hasMessageContaining("metrics.redis.url: must start with redis://");
        assertThatThrownBy(() -> factory().create("redis", Config.of("metrics.redis", Map.of()), context))
                .isInstanceOf(ZeroscaleException.class)
                .hasMessageContaining("metrics.redis.url");
    }

    @Test
    void timeoutMustBePositive() {
        assertThatThrownBy(() -> factory().create("redis", Config.of("metrics.redis", Map.of("url", "redis://127.0.0.1:6379", "timeout", "0s")), context))
                .isInstanceOf(ZeroscaleException.class)
                .hasMessageContaining("metrics.redis.timeout: must be longer than 0");
    }

    @Test
    void queryMustBeAKeyAndOptionsAreChecked() {
        try (MetricSource source = factory().create("redis", Config.of("metrics.redis", Map.of("url", "redis://127.0.0.1:1")), context)) {
            Config options = Config.empty("targets.workers.policy.signals.queue");
            source.validate(new MetricQuery("queue", "jobs", options));
            assertThatThrownBy(() -> source.validate(new MetricQuery("queue", " jobs", options)))
                    .isInstanceOf(ZeroscaleException.class)
                    .hasMessageContaining("targets.workers.policy.signals.queue.query: must be the key of a Redis list");
            assertThatThrownBy(() -> source.validate(new MetricQuery("queue", "jobs",
                    Config.of("targets.workers.policy.signals.queue", Map.of("empty-as-zer0", true)))))
                    .isInstanceOf(ZeroscaleException.class)
                    .hasMessageContaining("empty-as-zer0");
        }
    }

    private static MetricSourceFactory factory() {
        return new RedisQueuePlugin().metricSourceFactories().getFirst();
    }
}
