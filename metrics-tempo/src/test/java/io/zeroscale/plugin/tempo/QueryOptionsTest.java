package io.zeroscale.plugin.tempo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.plugin.support.Aggregation;
import io.zeroscale.plugin.support.Reducer;
import io.zeroscale.spi.Config;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QueryOptionsTest {
    private static QueryOptions read(Map<String, ?> options) {
        return QueryOptions.read(Config.of("targets.shop.policy.signals.latency", options));
    }

    @Test
    void metricsModeIsTheDefault() {
        assertThat(read(Map.of()))
                .isEqualTo(new QueryOptions(QueryOptions.Mode.METRICS, null, false, null, Reducer.AVG, null, 0, null));
        assertThat(read(Map.of("step", "30s", "reduce", "max", "aggregation", "sum", "empty-as-zero", true)))
                .isEqualTo(new QueryOptions(QueryOptions.Mode.METRICS, Aggregation.SUM, true, Duration.ofSeconds(30),
                        Reducer.MAX, null, 0, null));
    }

    @Test
    void searchMode() {
        assertThat(read(Map.of("mode", "search", "function", "quantile", "quantile", 0.99, "span-kind", "consumer")))
                .isEqualTo(new QueryOptions(QueryOptions.Mode.SEARCH, null, false, null, Reducer.AVG,
                        QueryOptions.Function.QUANTILE, 0.99, "consumer"));
        assertThat(read(Map.of("mode", "search", "function", "rate")).spanKind()).isEqualTo("server");
    }

    @Test
    void optionsOfTheOtherModeAreRejected() {
        assertThatThrownBy(() -> read(Map.of("function", "rate")))
                .hasMessageContaining("latency.function").hasMessageContaining("only to mode: search");
        assertThatThrownBy(() -> read(Map.of("mode", "search", "function", "rate", "step", "1m")))
                .hasMessageContaining("latency.step").hasMessageContaining("only to mode: metrics");
    }

    @Test
    void searchNeedsAFunctionAndQuantileItsQuantile() {
        assertThatThrownBy(() -> read(Map.of("mode", "search"))).hasMessageContaining("latency.function");
        assertThatThrownBy(() -> read(Map.of("mode", "search", "function", "quantile")))
                .hasMessageContaining("latency.quantile").hasMessageContaining("0.95");
        assertThatThrownBy(() -> read(Map.of("mode", "search", "function", "quantile", "quantile", 95)))
                .hasMessageContaining("at most 1");
        assertThatThrownBy(() -> read(Map.of("mode", "search", "function", "rate", "quantile", 0.5)))
                .hasMessageContaining("only to function: quantile");
        assertThatThrownBy(() -> read(Map.of("mode", "search", "function", "p95")))
                .hasMessageContaining("rate, count or quantile");
    }

    @Test
    void badValuesAreNamed() {
        assertThatThrownBy(() -> read(Map.of("mode", "tracing"))).hasMessageContaining("latency.mode");
        assertThatThrownBy(() -> read(Map.of("step", "1500ms"))).hasMessageContaining("whole seconds");
        assertThatThrownBy(() -> read(Map.of("mode", "search", "function", "rate", "span-kind", "sever")))
                .hasMessageContaining("did you mean 'server'?");
        assertThatThrownBy(() -> read(Map.of("reduce", "median"))).hasMessageContaining("latency.reduce");
    }
}
