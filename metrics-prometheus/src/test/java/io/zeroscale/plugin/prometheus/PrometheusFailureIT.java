package io.zeroscale.plugin.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.spi.metrics.SignalValue;
import io.zeroscale.testkit.PrometheusPeer;
import io.zeroscale.testkit.TestPluginContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real Prometheus that stops or hangs while a source uses it. */
class PrometheusFailureIT {
    private static final Duration WINDOW = Duration.ofMinutes(5);
    private static final SignalValue KNOWN = SignalValue.known(TestData.KNOWN_VALUE, TestData.NOW);

    @TempDir
    Path home;

    private PrometheusPeer server;
    private MetricSource source;

    @BeforeEach
    void start() {
        server = PrometheusPeer.backfilled(home, TestData.openMetrics(), null);
        source = new PrometheusMetricSourceFactory().create("prom", TestData.sourceConfig(Map.of(
                        "url", server.url(), "timeout", "1s", "retries", Map.of("max-attempts", 2, "backoff", "10ms"))),
                TestPluginContext.at(TestData.NOW));
    }

    @AfterEach
    void stop() {
        source.close();
        server.close();
    }

    @Test
    void aServerStoppedMidTestReadsAsUnknownNamingItThenRecovers() {
        assertThat(source.query(TestData.query(TestData.KNOWN_QUERY), WINDOW)).isEqualTo(KNOWN);

        server.stop();
        SignalValue down = source.query(TestData.query(TestData.KNOWN_QUERY), WINDOW);

        assertThat(down).isInstanceOf(SignalValue.Unknown.class);
        assertThat(((SignalValue.Unknown) down).reason()).contains(server.url(), "unreachable", "could not connect");
        assertThat(down.at()).isEqualTo(TestData.NOW);

        server.start();
        assertThat(source.query(TestData.query(TestData.KNOWN_QUERY), WINDOW)).isEqualTo(KNOWN);
    }

    @Test
    void aServerThatDoesNotAnswerHitsTheTimeout() {
        server.pause();
        try {
            SignalValue hung = source.query(TestData.query(TestData.KNOWN_QUERY), WINDOW);

            assertThat(hung).isInstanceOf(SignalValue.Unknown.class);
            assertThat(((SignalValue.Unknown) hung).reason()).contains(server.url(), "did not answer within", "1s");
        } finally {
            server.resume();
        }
        assertThat(source.query(TestData.query(TestData.KNOWN_QUERY), WINDOW)).isEqualTo(KNOWN);
    }
}
