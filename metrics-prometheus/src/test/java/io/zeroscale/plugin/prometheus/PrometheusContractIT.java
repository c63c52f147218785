package io.zeroscale.plugin.prometheus;

import io.zeroscale.spi.metrics.MetricQuery;
import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.testkit.MetricSourceContract;
import io.zeroscale.testkit.PrometheusPeer;
import io.zeroscale.testkit.TestPluginContext;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The shared metric source contract, against a real Prometheus over backfilled data. */
class PrometheusContractIT extends MetricSourceContract {
    private static final TestPluginContext CONTEXT = TestPluginContext.at(TestData.NOW);

    @TempDir
    static Path home;

    private static PrometheusPeer server;

    @BeforeAll
    static void startPrometheus() {
        server = PrometheusPeer.backfilled(home, TestData.openMetrics(), null);
    }

    @AfterAll
    static void stopPrometheus() {
        server.close();
    }

    @Override
    protected MetricSource createSource() {
        server.start();
        return new PrometheusMetricSourceFactory().create("prom",
                TestData.sourceConfig(Map.of("type", "prometheus", "url", server.url(), "retries", Map.of("backoff", "10ms"))),
                CONTEXT);
    }

    @Override
    protected InstantSource clock() {
        return CONTEXT.clock();
    }

    @Override
    protected MetricQuery knownQuery() {
        return TestData.query(TestData.KNOWN_QUERY);
    }

    @Override
    protected double knownValue() {
        return TestData.KNOWN_VALUE;
    }

    @Override
    protected MetricQuery emptyQuery() {
        return TestData.query(TestData.EMPTY_QUERY);
    }

    @Override
    protected void breakBackend() {
        server.stop();
    }

    @Override
    protected String backendAddress() {
        return server.url();
    }
}
