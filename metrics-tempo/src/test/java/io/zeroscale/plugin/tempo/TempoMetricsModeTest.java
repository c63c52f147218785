package io.zeroscale.plugin.tempo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.spi.metrics.SignalValue;
import io.zeroscale.testkit.TestPluginContext;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** TraceQL metrics queries over /api/metrics/query_range, against the Tempo fake. */
class TempoMetricsModeTest {
    private FakeTempo tempo = TestData.fake(false);
    private MetricSource source;

    @AfterEach
    void stop() {
        if (source != null) {
            source.close();
        }
        tempo.close();
    }

    private TempoMetricsModeTest withShopRequests() {
        try (Traces traces = TestData.thirtyShopRequests()) {
            tempo.ingest(traces.spans());
        }
        return this;
    }

    private SignalValue query(String traceql, Map<String, ?> options, Map<String, ?> config) {
        Map<String, Object> values = new LinkedHashMap<>(Map.of("url", tempo.url(), "retries", Map.of("backoff", "1ms")));
        values.putAll(config);
        source = new TempoMetricSourceFactory().create("tempo", TestData.sourceConfig(values), TestPluginContext.at(TestData.NOW));
        return source.query(TestData.query(traceql, options), TestData.WINDOW);
    }

    private SignalValue query(String traceql, Map<String, ?> options) {
        return query(traceql, options, Map.of());
    }

    private static String reason(SignalValue value) {
        assertThat(value).isInstanceOf(SignalValue.Unknown.class);
        return ((SignalValue.Unknown) value).reason();
    }

    @Test
    void theRateOfTheWindowIsTheOneStepEndingAtItsAlignedEnd() {
        withShopRequests();

        assertThat(query(TestData.SHOP_RATE, Map.of())).isEqualTo(SignalValue.known(30 / 300.0, TestData.NOW));

        FakeTempo.Request request = tempo.requests().getFirst();
        assertThat(request.path()).isEqualTo("/api/metrics/query_range");
        assertThat(request.parameters())
                .containsEntry("q", TestData.SHOP_RATE)
                .containsEntry("start", Long.toString(TestData.METRICS_START.getEpochSecond()))
                .containsEntry("end", Long.toString(TestData.METRICS_END.getEpochSecond()))
                .containsEntry("step", "300s");
    }

    /** With 1m steps the window is (00:54:00, 00:59:00]: 30 requests, one every 10s, six per step. */
    private void withRequestsForOneMinuteSteps() {
        try (Traces traces = new Traces()) {
            for (int i = 1; i <= 30; i++) {
                traces.request("shop", TestData.METRICS_END.minusSeconds(60).plusSeconds(10L * i), Duration.ofMillis(100));
            }
            tempo.ingest(traces.spans());
        }
    }

    @Test
    void smallerStepsAreReducedOverTheWindow() {
        withRequestsForOneMinuteSteps();

        assertThat(query(TestData.SHOP_COUNT, Map.of("step", "1m", "reduce", "sum")))
                .isEqualTo(SignalValue.known(30.0, TestData.NOW));
        assertThat(query(TestData.SHOP_COUNT, Map.of("step", "1m", "reduce", "max")))
                .isEqualTo(SignalValue.known(6.0, TestData.NOW));
        assertThat(query(TestData.SHOP_RATE, Map.of("step", "1m")))
                .isEqualTo(SignalValue.known(0.1, TestData.NOW));
        assertThat(tempo.requests().getLast().parameters())
                .containsEntry("start", Long.toString(TestData.METRICS_END.minusSeconds(60).getEpochSecond()))
                .containsEntry("end", Long.toString(TestData.METRICS_END.plusSeconds(240).getEpochSecond()))
                .containsEntry("step", "60s");
    }

    @Test
    void aLatencyQuantileIsTempoEstimate() {
        withShopRequests();

        SignalValue p95 = query(TestData.SHOP_P95, Map.of());

        // All 30 spans took 100ms: the power-of-two bucket 2^27ns = 0.134s. Tempo's rank is ceil(0.95 * 30) = 29,
        // so the estimate is 29/30 of the way from 2^26ns to 2^27ns in log2 space: 2^(27 - 1/30) ns = 0.13115s.
        assertThat(p95).isInstanceOf(SignalValue.Known.class);
        assertThat(((SignalValue.Known) p95).value()).isCloseTo(Math.pow(2, 27 - 1 / 30.0) / 1e9, within(1e-12));
    }

    /**
     * The case measured on a real Tempo (3.1.0-dev, built from source; recorded in the project's
     * docs/testing.md): half the spans 100ms, half 300ms, p95 = 0.4674s, not 0.3s (the raw
     * durations' p95) nor 0.51s (linear interpolation inside the bucket).
     */
    @Test
    void halfFastHalfSlowGivesThePercentileARealTempoGave() {
        try (Traces traces = new Traces()) {
            for (int i = 1; i <= 20; i++) {
                traces.request("shop", TestData.METRICS_START.plusSeconds(10L * i), Duration.ofMillis(i % 2 == 0 ? 300 : 100));
            }
            tempo.ingest(traces.spans());
        }

        SignalValue p95 = query(TestData.SHOP_P95, Map.of());

        assertThat(p95).isInstanceOf(SignalValue.Known.class);
        assertThat(((SignalValue.Known) p95).value()).isCloseTo(0.4674, within(0.00005));
        // The same estimate step by step: the rank ceil(0.95 * 20) = 19 lies 9/10 into the 10 spans of the
        // 2^29ns bucket, above the 2^27ns one: 2^(27 + 2 * 0.9) ns.
        assertThat(((SignalValue.Known) p95).value()).isCloseTo(Math.pow(2, 27 + 2 * 0.9) / 1e9, within(1e-12));
        // With 2 spans the rank (2) ends exactly at a bucket's end: Tempo answers the bucket's bound, 2^29ns.
        assertThat(FakeTempo.log2Quantile(java.util.List.of(100_000_000L, 300_000_000L), 0.95)).isEqualTo(Math.pow(2, 29) / 1e9);
    }

    @Test
    void aRateOverNoSpansIsTheZeroTempoReportsWithoutAValueField() {
        assertThat(query(TestData.SHOP_RATE, Map.of())).isEqualTo(SignalValue.known(0.0, TestData.NOW));
    }

    @Test
    void aQuantileOverNoSpansIsUnknownUnlessEmptyAsZero() {
        assertThat(reason(query(TestData.SHOP_P95, Map.of()))).contains("no series", tempo.url());
        assertThat(query(TestData.SHOP_P95, Map.of("empty-as-zero", true))).isEqualTo(SignalValue.known(0.0, TestData.NOW));
    }

    @Test
    void severalSeriesNeedAnAggregation() {
        withShopRequests();
        try (Traces more = new Traces()) {
            for (int i = 1; i <= 15; i++) {
                more.request("cart", TestData.METRICS_START.plusSeconds(20L * i), Duration.ofMillis(5));
            }
            tempo.ingest(more.spans());
        }

        assertThat(reason(query(TestData.RATE_BY_SERVICE, Map.of())))
                .contains("2 series matched", "resource.service.name=cart", "aggregation");
        assertThat(query(TestData.RATE_BY_SERVICE, Map.of("aggregation", "sum")))
                .isEqualTo(SignalValue.known(30 / 300.0 + 15 / 300.0, TestData.NOW));
        assertThat(query(TestData.RATE_BY_SERVICE, Map.of("aggregation", "min")))
                .isEqualTo(SignalValue.known(15 / 300.0, TestData.NOW));
    }

    @Test
    void aWindowInsideTempoCutoffIsRefusedAndTheReasonPointsAtIngestLag() {
        source = new TempoMetricSourceFactory().create("tempo", TestData.sourceConfig(Map.of("url", tempo.url(),
                "ingest-lag", "0s")), TestPluginContext.at(TestData.NOW));

        // A window of 20s ending now lies wholly in Tempo's newest 30s.
        SignalValue refused = source.query(TestData.query(TestData.SHOP_RATE, Map.of("step", "1s")), Duration.ofSeconds(20));

        assertThat(reason(refused)).contains("HTTP 400", "query_end_cutoff", "ingest-lag (0s)");
    }

    @Test
    void theDefaultIngestLagKeepsEvenAShortWindowOutOfTempoCutoff() {
        source = new TempoMetricSourceFactory().create("tempo", TestData.sourceConfig(Map.of("url", tempo.url())),
                TestPluginContext.at(TestData.NOW));

        assertThat(source.query(TestData.query(TestData.SHOP_RATE, Map.of("step", "1s")), Duration.ofSeconds(20)))
                .isEqualTo(SignalValue.known(0.0, TestData.NOW));
    }

    @Test
    void partialResultsAreUnknown() {
        withShopRequests();
        tempo.partial(true);

        assertThat(reason(query(TestData.SHOP_RATE, Map.of()))).contains("partial", "a querier timed out");
    }

    @Test
    void aMultiTenantTempoWithoutOrgIdIsUnknownWithAHint() {
        tempo.close();
        tempo = TestData.fake(true);

        assertThat(reason(query(TestData.SHOP_RATE, Map.of()))).contains("401", "no org id", "set org-id");
    }

    @Test
    void theOrgIdSelectsTheTenant() {
        tempo.close();
        tempo = TestData.fake(true);
        try (Traces traces = TestData.thirtyShopRequests()) {
            tempo.ingest("team-a", traces.spans());
        }

        assertThat(query(TestData.SHOP_P95, Map.of(), Map.of("org-id", "team-a"))).isInstanceOf(SignalValue.Known.class);
        assertThat(tempo.requests().getLast().header("X-Scope-OrgID")).isEqualTo("team-a");
        assertThat(reason(query(TestData.SHOP_P95, Map.of(), Map.of("org-id", "team-b")))).contains("no series");
    }

    @Test
    void authAndExtraHeadersAreSent() {
        withShopRequests();

        query(TestData.SHOP_RATE, Map.of(), Map.of("bearer-token", "t0k3n", "headers", Map.of("X-Team", "search")));

        FakeTempo.Request request = tempo.requests().getFirst();
        assertThat(request.header("Authorization")).isEqualTo("Bearer t0k3n");
        assertThat(request.header("X-Team")).isEqualTo("search");
        assertThat(request.header("Accept")).isEqualTo("application/json");
    }

    @Test
    void anOverloadedTempoIsRetried() {
        withShopRequests();
        tempo.failNext(503, "too many outstanding requests");

        assertThat(query(TestData.SHOP_RATE, Map.of())).isEqualTo(SignalValue.known(0.1, TestData.NOW));
        assertThat(tempo.requests()).hasSize(2);
    }

    @Test
    void anInternalErrorIsUnknownNamingTempo() {
        tempo.failNext(500, "failed to query blocks");

        assertThat(reason(query(TestData.SHOP_RATE, Map.of()))).contains(tempo.url(), "500", "failed to query blocks");
        assertThat(tempo.requests()).hasSize(1);
    }

    @Test
    void anAnswerThatIsNotJsonIsUnknown() {
        tempo.failNext(200, "<html>proxy login</html>");

        assertThat(reason(query(TestData.SHOP_RATE, Map.of()))).contains("without Tempo API JSON");
    }

    @Test
    void validationQuotesTempoOnABadQuery() {
        source = new TempoMetricSourceFactory().create("tempo", TestData.sourceConfig(Map.of("url", tempo.url())),
                TestPluginContext.at(TestData.NOW));

        assertThatThrownBy(() -> source.validate(TestData.query("{ resource.service.name = } | rate(", Map.of())))
                .isInstanceOfSatisfying(ZeroscaleException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(StandardErrorCode.CONFIG_INVALID))
                .hasMessageContaining("targets.shop.policy.signals.latency.query")
                .hasMessageContaining("parse error at line 1");
        assertThatCode(() -> source.validate(TestData.query(TestData.SHOP_RATE, Map.of()))).doesNotThrowAnyException();
        assertThat(tempo.requests()).extracting(FakeTempo.Request::path).containsOnly("/api/metrics/query_range");
    }

    @Test
    void validationAgainstAnUnreachableTempoIsNotASyntaxError() {
        source = new TempoMetricSourceFactory().create("tempo", TestData.sourceConfig(Map.of("url", "http://127.0.0.1:9",
                "retries", Map.of("max-attempts", 1))), TestPluginContext.at(TestData.NOW));

        assertThatCode(() -> source.validate(TestData.query("{ not traceql", Map.of()))).doesNotThrowAnyException();
    }

    @Test
    void theValuelessSampleTempoAddsBeforeTheStartIsIgnored() {
        withRequestsForOneMinuteSteps();

        // Read as 0, the extra sample would pull the average of six-per-step down to 5.
        assertThat(query(TestData.SHOP_COUNT, Map.of("step", "1m", "reduce", "avg")))
                .isEqualTo(SignalValue.known(6.0, TestData.NOW));
    }
}
