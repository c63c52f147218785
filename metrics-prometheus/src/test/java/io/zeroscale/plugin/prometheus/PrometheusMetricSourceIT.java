package io.zeroscale.plugin.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.metrics.MetricQuery;
import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.spi.metrics.SignalValue;
import io.zeroscale.testkit.PrometheusPeer;
import io.zeroscale.testkit.TestPluginContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Exact values from a real Prometheus over backfilled data, evaluated at the engine clock's time. */
class PrometheusMetricSourceIT {
    private static final Duration WINDOW = Duration.ofMinutes(5);

    @TempDir
    static Path home;

    private static PrometheusPeer server;
    private MetricSource source;

    @BeforeAll
    static void startPrometheus() {
        server = PrometheusPeer.backfilled(home, TestData.openMetrics(), null);
    }

    @AfterAll
    static void stopPrometheus() {
        server.close();
    }

    @BeforeEach
    void createSource() {
        source = new PrometheusMetricSourceFactory().create("prom",
                TestData.sourceConfig(Map.of("url", server.url())), TestPluginContext.at(TestData.NOW));
    }

    @AfterEach
    void closeSource() {
        source.close();
    }

    private SignalValue query(String expression) {
        return source.query(TestData.query(expression), WINDOW);
    }

    private SignalValue query(String expression, Map<String, ?> options) {
        return source.query(TestData.query(expression, options), WINDOW);
    }

    private static SignalValue known(double value) {
        return SignalValue.known(value, TestData.NOW);
    }

    @Test
    void oneSeriesGivesItsValue() {
        assertThat(query("rate(http_requests_total{pod=\"a\"}[5m])")).isEqualTo(known(2.0));
        assertThat(query("queue_depth")).isEqualTo(known(61.0));
        assertThat(query("temperature_celsius")).isEqualTo(known(21.375));
    }

    @Test
    void aScalarResultGivesItsValue() {
        assertThat(query("scalar(sum(pool_size))")).isEqualTo(known(10.0));
    }

    @Test
    void theQueryIsEvaluatedAtTheEngineClocksTimeNotTheWallClocks() {
        MetricSource earlier = new PrometheusMetricSourceFactory().create("prom",
                TestData.sourceConfig(Map.of("url", server.url())), TestPluginContext.at(TestData.START.plusSeconds(600)));
        try (earlier) {
            assertThat(earlier.query(TestData.query("queue_depth"), WINDOW))
                    .isEqualTo(SignalValue.known(11.0, TestData.START.plusSeconds(600)));
        }
    }

    @Test
    void severalSeriesWithoutAnAggregationAreUnknownAndSaySo() {
        SignalValue value = query("pool_size");

        assertThat(value).isInstanceOf(SignalValue.Unknown.class);
        assertThat(((SignalValue.Unknown) value).reason())
                .contains("2 series matched", "pool=\"x\"", "pool=\"y\"", "aggregation", server.url());
    }

    @ParameterizedTest
    @CsvSource({"sum, 10", "avg, 5", "max, 6", "min, 4"})
    void severalSeriesAreCombinedByTheNamedAggregation(String aggregation, double expected) {
        assertThat(query("pool_size", Map.of("aggregation", aggregation))).isEqualTo(known(expected));
    }

    @Test
    void anEmptyResultIsUnknownUnlessTheSignalSaysEmptyAsZero() {
        SignalValue empty = query(TestData.EMPTY_QUERY);
        assertThat(empty).isInstanceOf(SignalValue.Unknown.class);
        assertThat(((SignalValue.Unknown) empty).reason()).contains("no series matched");

        assertThat(query(TestData.EMPTY_QUERY, Map.of("empty-as-zero", true))).isEqualTo(known(0.0));
    }

    @Test
    void nanIsUnknown() {
        SignalValue value = query("vector(0) / 0");

        assertThat(value).isInstanceOf(SignalValue.Unknown.class);
        assertThat(((SignalValue.Unknown) value).reason()).contains("NaN");
    }

    @Test
    void infinitiesAreUnknown() {
        SignalValue positive = query("vector(1) / 0");
        SignalValue negative = query("vector(-1) / 0");

        assertThat(positive).isInstanceOf(SignalValue.Unknown.class);
        assertThat(((SignalValue.Unknown) positive).reason()).contains("+Inf");
        assertThat(negative).isInstanceOf(SignalValue.Unknown.class);
        assertThat(((SignalValue.Unknown) negative).reason()).contains("-Inf");
    }

    @ParameterizedTest
    @CsvSource({"avg, 58.5", "max, 61", "min, 56", "last, 61", "sum, 351"})
    void aRangeQueryReducesThePointsOfTheWindow(String reduce, double expected) {
        // queue_depth is 56..61 at the six minute marks of the last 5 minutes.
        assertThat(query("queue_depth", Map.of("range", Map.of("step", "1m", "reduce", reduce)))).isEqualTo(known(expected));
    }

    @Test
    void aRangeQueryOverSeveralSeriesReducesEachThenAggregates() {
        Map<String, Object> options = Map.of("range", Map.of("step", "1m", "reduce", "max"), "aggregation", "sum");

        assertThat(query("rate(http_requests_total[2m])", options)).isEqualTo(known(3.0));
    }

    @Test
    void aRangeVectorFromAnInstantQueryIsUnknownWithAHint() {
        SignalValue value = query("queue_depth[5m]");

        assertThat(value).isInstanceOf(SignalValue.Unknown.class);
        assertThat(((SignalValue.Unknown) value).reason()).contains("range vector", "rate(");
    }

    @Test
    void anExecutionErrorIsUnknownWithPrometheussMessage() {
        // Both sides have two series with the same labels once 'pod' and 'pool' are dropped.
        SignalValue value = query("sum by (app, pod) (http_requests_total) + on (app) group_left sum by (app, pool) (pool_size)");

        assertThat(value).isInstanceOf(SignalValue.Unknown.class);
        assertThat(((SignalValue.Unknown) value).reason()).contains("execution", "many-to-many");
    }

    @Test
    void validationAcceptsGoodPromql() {
        assertThatCode(() -> source.validate(TestData.query(TestData.KNOWN_QUERY))).doesNotThrowAnyException();
    }

    @Test
    void validationRejectsBadPromqlWithPrometheussOwnMessage() {
        MetricQuery broken = TestData.query("sum(rate(http_requests_total[5m]");

        assertThatThrownBy(() -> source.validate(broken))
                .isInstanceOfSatisfying(ZeroscaleException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(StandardErrorCode.CONFIG_INVALID))
                .hasMessageContaining("targets.shop.policy.signals.rps.query")
                .hasMessageContaining("parse error: unclosed left parenthesis");
    }

    @Test
    void validationRejectsBadOptionsBeforeAskingPrometheus() {
        MetricQuery typo = TestData.query(TestData.KNOWN_QUERY, Map.of("agregation", "sum"));

        assertThatThrownBy(() -> source.validate(typo))
                .hasMessageContaining("targets.shop.policy.signals.rps.agregation")
                .hasMessageContaining("did you mean 'aggregation'?");
    }

    @Test
    void validationAgainstAnUnreachableServerIsNotASyntaxError() {
        MetricSource unreachable = new PrometheusMetricSourceFactory().create("prom",
                TestData.sourceConfig(Map.of("url", "http://127.0.0.1:9", "retries", Map.of("max-attempts", 1))),
                TestPluginContext.at(TestData.NOW));
        try (unreachable) {
            assertThatCode(() -> unreachable.validate(TestData.query("sum(rate(x[5m]"))).doesNotThrowAnyException();
        }
    }
}
