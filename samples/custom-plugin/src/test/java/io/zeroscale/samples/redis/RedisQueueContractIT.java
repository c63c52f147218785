package io.zeroscale.samples.redis;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.metrics.MetricQuery;
import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.testkit.MetricSourceContract;
import io.zeroscale.testkit.TestPluginContext;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The testkit's metric source contract, against a real Redis holding a list of 3 jobs. */
class RedisQueueContractIT extends MetricSourceContract {
    private static final TestPluginContext CONTEXT = TestPluginContext.at(Instant.parse("2026-12-06T12:00:00Z"));

    @TempDir
    static Path home;

    private static RedisServer redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start(home);
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @Override
    protected MetricSource createSource() {
        redis.start(); // back after an earlier test's outage, without its data
        redis.cli("DEL", "jobs");
        redis.cli("RPUSH", "jobs", "a", "b", "c");
        return new RedisQueueMetricSourceFactory().create("redis",
                Config.of("metrics.redis", Map.of("url", redis.url(), "timeout", "2s")), CONTEXT);
    }

    @Override
    protected InstantSource clock() {
        return CONTEXT.clock();
    }

    @Override
    protected MetricQuery knownQuery() {
        return new MetricQuery("queue", "jobs", Config.empty("targets.workers.policy.signals.queue"));
    }

    @Override
    protected double knownValue() {
        return 3;
    }

    @Override
    protected MetricQuery emptyQuery() {
        return new MetricQuery("queue", "no-such-queue", Config.empty("targets.workers.policy.signals.queue"));
    }

    @Override
    protected void breakBackend() {
        redis.stop();
    }

    @Override
    protected String backendAddress() {
        return redis.address();
    }
}
