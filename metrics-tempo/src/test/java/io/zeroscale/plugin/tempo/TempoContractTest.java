package io.zeroscale.plugin.tempo;

import io.zeroscale.spi.metrics.MetricQuery;
import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.testkit.MetricSourceContract;
import io.zeroscale.testkit.TestPluginContext;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;

/** The shared metric source contract, against a loopback server answering in Tempo's formats. */
class TempoContractTest extends MetricSourceContract {
    private static final TestPluginContext CONTEXT = TestPluginContext.at(TestData.NOW);

    private FakeTempo tempo;

    @Override
    protected MetricSource createSource() {
        if (tempo == null) {
            try (Traces traces = TestData.thirtyShopRequests()) {
                tempo = TestData.fake(false).ingest(traces.spans());
            }
        }
        return new TempoMetricSourceFactory().create("tempo", TestData.sourceConfig(Map.of("type", "tempo", "url", tempo.url(),
                "retries", Map.of("backoff", "1ms"))), CONTEXT);
    }

    @AfterEach
    void stopTempo() {
        tempo.close();
        tempo = null;
    }

    @Override
    protected InstantSource clock() {
        return CONTEXT.clock();
    }

    @Override
    protected Duration window() {
        return TestData.WINDOW;
    }

    @Override
    protected MetricQuery knownQuery() {
        return TestData.query(TestData.SHOP_RATE, Map.of());
    }

    @Override
    protected double knownValue() {
        return 30 / 300.0;
    }

    @Override
    protected MetricQuery emptyQuery() {
        return TestData.query(TestData.NOBODY_P95, Map.of());
    }

    @Override
    protected void breakBackend() {
        tempo.close();
    }

    @Override
    protected String backendAddress() {
        return tempo.url();
    }
}
