package io.zeroscale.plugin.tempo;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.metrics.MetricQuery;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Times and queries shared by the Tempo tests. With the default ingest-lag of 40s and a 5m
 * window, a metrics query (one 300s step, aligned) reads (00:50:00, 00:55:00] and a search reads
 * [00:54:20, 00:59:20).
 */
final class TestData {
    static final Instant NOW = Instant.parse("2026-01-01T01:00:00Z");
    static final Duration WINDOW = Duration.ofMinutes(5);
    static final Instant METRICS_START = Instant.parse("2026-01-01T00:50:00Z");
    static final Instant METRICS_END = Instant.parse("2026-01-01T00:55:00Z");
    static final Instant SEARCH_START = Instant.parse("2026-01-01T00:54:20Z");
    static final Instant SEARCH_END = Instant.parse("2026-01-01T00:59:20Z");

    static final String SHOP_RATE = "{ resource.service.name = \"shop\" && kind = server } | rate()";
    static final String SHOP_COUNT = "{ resource.service.name = \"shop\" && kind = server } | count_over_time()";
    static final String SHOP_P95 = "{ resource.service.name = \"shop\" && kind = server } | quantile_over_time(duration, .95)";
    static final String NOBODY_P95 = "{ resource.service.name = \"nobody\" } | quantile_over_time(duration, .95)";
    static final String RATE_BY_SERVICE = "{ kind = server } | rate() by (resource.service.name)";
    static final String SHOP_SEARCH = "{ resource.service.name = \"shop\" && kind = server }";

    private TestData() {}

    static Predicate<SpanData> serverOf(String service) {
        return span -> span.getKind() == SpanKind.SERVER && FakeTempo.service(span).equals(service);
    }

    /** A fake Tempo that knows the queries above. */
    static FakeTempo fake(boolean multiTenant) {
        return new FakeTempo(InstantSource.fixed(NOW), multiTenant)
                .defineMetrics(SHOP_RATE, serverOf("shop"), FakeTempo.Kind.RATE)
                .defineMetrics(SHOP_COUNT, serverOf("shop"), FakeTempo.Kind.COUNT)
                .defineMetrics(SHOP_P95, serverOf("shop"), FakeTempo.Kind.QUANTILE, 0.95)
                .defineMetrics(NOBODY_P95, span -> FakeTempo.service(span).equals("nobody"), FakeTempo.Kind.QUANTILE, 0.95)
                .defineMetricsBy(RATE_BY_SERVICE, span -> span.getKind() == SpanKind.SERVER, FakeTempo.Kind.RATE,
                        "resource.service.name", FakeTempo::service)
                .defineSearch(SHOP_SEARCH, serverOf("shop"))
                .defineSearch("{ resource.service.name = \"shop\" }", span -> FakeTempo.service(span).equals("shop"))
                .defineSearch("{ resource.service.name = \"nobody\" && kind = server }", serverOf("nobody"));
    }

    /** 30 shop requests of 100ms, one every 10s, all in the metrics window, plus one on each side of it. */
    static Traces thirtyShopRequests() {
        Traces traces = new Traces();
        for (int i = 1; i <= 30; i++) {
            traces.request("shop", METRICS_START.plusSeconds(10L * i), Duration.ofMillis(100));
        }
        traces.request("shop", METRICS_START, Duration.ofMillis(100));
        traces.request("shop", METRICS_END.plusSeconds(60), Duration.ofMillis(100));
        return traces;
    }

    static MetricQuery query(String expression, Map<String, ?> options) {
        return new MetricQuery("latency", expression, Config.of("targets.shop.policy.signals.latency", options));
    }

    static Config sourceConfig(Map<String, ?> values) {
        return Config.of("metrics.tempo", values);
    }
}
