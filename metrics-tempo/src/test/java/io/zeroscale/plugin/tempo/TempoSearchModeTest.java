package io.zeroscale.plugin.tempo;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.spi.metrics.SignalValue;
import io.zeroscale.testkit.TestPluginContext;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Search mode, for Tempo without TraceQL metrics: /api/search finds the service's spans in
 * [00:54:20, 00:59:20), truncated spansets are completed by fetching their traces, and the
 * quantile is exact (nearest rank) because the source sees every duration.
 */
class TempoSearchModeTest {
    private final FakeTempo tempo = TestData.fake(false);
    private MetricSource source;

    @AfterEach
    void stop() {
        if (source != null) {
            source.close();
        }
        tempo.close();
    }

    /** Ten shop requests of 10, 20, ... 100 ms, 20s apart from 00:55:00, plus one before the window. */
    private void withTenShopRequests() {
        try (Traces traces = new Traces()) {
            for (int i = 0; i < 10; i++) {
                traces.request("shop", TestData.SEARCH_START.plusSeconds(40 + 20L * i), Duration.ofMillis(10L * (i + 1)));
            }
            traces.request("shop", TestData.SEARCH_START.minusSeconds(30), Duration.ofMillis(999));
            tempo.ingest(traces.spans());
        }
    }

    private SignalValue query(String service, Map<String, ?> options, Map<String, ?> config) {
        Map<String, Object> values = new LinkedHashMap<>(Map.of("url", tempo.url(), "retries", Map.of("backoff", "1ms")));
        values.putAll(config);
        source = new TempoMetricSourceFactory().create("tempo", TestData.sourceConfig(values), TestPluginContext.at(TestData.NOW));
        Map<String, Object> all = new LinkedHashMap<>(Map.of("mode", "search"));
        all.putAll(options);
        return source.query(TestData.query(service, all), TestData.WINDOW);
    }

    private SignalValue query(String service, Map<String, ?> options) {
        return query(service, options, Map.of());
    }

    private static String reason(SignalValue value) {
        assertThat(value).isInstanceOf(SignalValue.Unknown.class);
        return ((SignalValue.Unknown) value).reason();
    }

    @Test
    void theRateIsTheServersSpansOfTheWindowPerSecond() {
        withTenShopRequests();

        assertThat(query("shop", Map.of("function", "rate"))).isEqualTo(SignalValue.known(10 / 300.0, TestData.NOW));

        FakeTempo.Request request = tempo.requests().getFirst();
        assertThat(request.path()).isEqualTo("/api/search");
        assertThat(request.parameters())
                .containsEntry("q", TestData.SHOP_SEARCH)
                .containsEntry("start", Long.toString(TestData.SEARCH_START.getEpochSecond()))
                .containsEntry("end", Long.toString(TestData.SEARCH_END.getEpochSecond()))
                .containsEntry("limit", "1000")
                .containsEntry("spss", "100");
    }

    @Test
    void quantilesAreExactNearestRanks() {
        withTenShopRequests();

        assertThat(query("shop", Map.of("function", "quantile", "quantile", 0.95))).isEqualTo(SignalValue.known(0.1, TestData.NOW));
        assertThat(query("shop", Map.of("function", "quantile", "quantile", 0.5))).isEqualTo(SignalValue.known(0.05, TestData.NOW));
        assertThat(query("shop", Map.of("function", "quantile", "quantile", 0.91))).isEqualTo(SignalValue.known(0.1, TestData.NOW));
        assertThat(query("shop", Map.of("function", "count"))).isEqualTo(SignalValue.known(10.0, TestData.NOW));
    }

    @Test
    void spansetsCutShortAreCompletedByFetchingTheTraceWithItsFullId() {
        try (Traces traces = new Traces()) {
            // Five server spans in one trace, one a second from 00:54:18.001: the last three are in the window.
            traces.batch("shop", TestData.SEARCH_START.minusSeconds(2), 5, Duration.ofMillis(7));
            tempo.ingest(traces.spans());
        }

        SignalValue count = query("shop", Map.of("function", "count"), Map.of("search", Map.of("spans-per-spanset", 2)));

        assertThat(count).isEqualTo(SignalValue.known(3.0, TestData.NOW));
        FakeTempo.Request fetch = tempo.requests().getLast();
        assertThat(fetch.path()).matches("/api/traces/0[0-9a-f]{31}");
    }

    @Test
    void spanKindAnyCountsEveryKindOfTheService() {
        withTenShopRequests();

        // Each request has a server span and a client span to the database.
        assertThat(query("shop", Map.of("function", "count", "span-kind", "any"), Map.of("search", Map.of("spans-per-spanset", 1))))
                .isEqualTo(SignalValue.known(20.0, TestData.NOW));
        assertThat(tempo.requests().getFirst().parameters()).containsEntry("q", "{ resource.service.name = \"shop\" }");
    }

    @Test
    void aSearchThatHitsItsLimitIsUnknownNotALowRate() {
        withTenShopRequests();

        assertThat(reason(query("shop", Map.of("function", "rate"), Map.of("search", Map.of("limit", 10)))))
                .contains("limit", "search.limit");
    }

    @Test
    void noSpansIsUnknownUnlessEmptyAsZero() {
        withTenShopRequests();

        assertThat(reason(query("nobody", Map.of("function", "rate")))).contains("no server spans", "'nobody'");
        assertThat(query("nobody", Map.of("function", "rate", "empty-as-zero", true)))
                .isEqualTo(SignalValue.known(0.0, TestData.NOW));
    }

    @Test
    void tracesStillBeingIngestedAreLeftOutByTempoAndTheWindowEndsBeforeThem() {
        withTenShopRequests();
        try (Traces recent = new Traces()) {
            recent.request("shop", TestData.NOW.minusSeconds(10), Duration.ofMillis(5));
            tempo.ingest(recent.spans());
        }

        assertThat(query("shop", Map.of("function", "count"))).isEqualTo(SignalValue.known(10.0, TestData.NOW));
    }

    @Test
    void aTraceThatCannotBeFetchedMakesTheValueUnknown() {
        try (Traces traces = new Traces()) {
            traces.batch("shop", TestData.SEARCH_START.plusSeconds(10), 5, Duration.ofMillis(7));
            tempo.ingest(traces.spans());
        }
        tempo.failNext(200, "{\"traces\":[{\"traceID\":\"abc\",\"spanSets\":[{\"matched\":3}]}]}");

        assertThat(reason(query("shop", Map.of("function", "count")))).contains("0000000000000000000000000000abc", "404");
    }

    @Test
    void theTenantHeaderIsSentOnSearchesAndFetches() {
        FakeTempo multiTenant = TestData.fake(true);
        try (multiTenant; Traces traces = new Traces()) {
            traces.batch("shop", TestData.SEARCH_START.plusSeconds(10), 5, Duration.ofMillis(7));
            multiTenant.ingest("team-a", traces.spans());
            source = new TempoMetricSourceFactory().create("tempo", TestData.sourceConfig(Map.of("url", multiTenant.url(),
                    "org-id", "team-a", "search", Map.of("spans-per-spanset", 1))), TestPluginContext.at(TestData.NOW));

            assertThat(source.query(TestData.query("shop", Map.of("mode", "search", "function", "count")), TestData.WINDOW))
                    .isEqualTo(SignalValue.known(5.0, TestData.NOW));
            assertThat(multiTenant.requests()).hasSize(2)
                    .allSatisfy(request -> assertThat(request.header("X-Scope-OrgID")).isEqualTo("team-a"));
        }
    }
}
