package io.zeroscale.plugin.prometheus;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.metrics.MetricQuery;
import java.time.Instant;
import java.util.Map;

/**
 * The series every Prometheus test backfills: one hour of samples, one a minute, ending at {@link
 * #NOW}. Values are chosen so that queries have exact answers:
 *
 * <ul>
 *   <li>{@code http_requests_total{app="shop",pod="a"}} rises 120 a minute, {@code pod="b"} 60 a
 *       minute: {@code rate(...[5m])} is 2 and 1, their sum 3;
 *   <li>{@code queue_depth{app="shop"}} is 1, 2, ... 61: 61 now, and 56..61 over the last 5m;
 *   <li>{@code pool_size{pool="x"}} is 4 and {@code pool_size{pool="y"}} is 6;
 *   <li>{@code temperature_celsius} is 21.375.
 * </ul>
 */
final class TestData {
    static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    static final Instant NOW = START.plusSeconds(3600);

    static final String KNOWN_QUERY = "sum(rate(http_requests_total{app=\"shop\"}[5m]))";
    static final double KNOWN_VALUE = 3.0;
    static final String EMPTY_QUERY = "http_requests_total{app=\"no-such-app\"}";

    private TestData() {}

    static String openMetrics() {
        StringBuilder out = new StringBuilder();
        out.append("# HELP http_requests_total Requests served.\n# TYPE http_requests_total counter\n");
        for (int i = 0; i <= 60; i++) {
            long t = START.getEpochSecond() + 60L * i;
            out.append("http_requests_total{app=\"shop\",pod=\"a\"} ").append(120 * i).append(' ').append(t).append('\n');
            out.append("http_requests_total{app=\"shop\",pod=\"b\"} ").append(60 * i).append(' ').append(t).append('\n');
        }
        out.append("# HELP queue_depth Requests waiting.\n# TYPE queue_depth gauge\n");
        for (int i = 0; i <= 60; i++) {
            out.append("queue_depth{app=\"shop\"} ").append(i + 1).append(' ').append(START.getEpochSecond() + 60L * i).append('\n');
        }
        out.append("# HELP pool_size Workers per pool.\n# TYPE pool_size gauge\n");
        for (int i = 0; i <= 60; i++) {
            long t = START.getEpochSecond() + 60L * i;
            out.append("pool_size{app=\"shop\",pool=\"x\"} 4 ").append(t).append('\n');
            out.append("pool_size{app=\"shop\",pool=\"y\"} 6 ").append(t).append('\n');
        }
        out.append("# HELP temperature_celsius Room temperature.\n# TYPE temperature_celsius gauge\n");
        for (int i = 0; i <= 60; i++) {
            out.append("temperature_celsius 21.375 ").append(START.getEpochSecond() + 60L * i).append('\n');
        }
        out.append("# EOF\n");
        return out.toString();
    }

    static MetricQuery query(String expression) {
        return query(expression, Map.of());
    }

    static MetricQuery query(String expression, Map<String, ?> options) {
        return new MetricQuery("rps", expression, Config.of("targets.shop.policy.signals.rps", options));
    }

    static Config sourceConfig(Map<String, ?> values) {
        return Config.of("metrics.prom", values);
    }
}
