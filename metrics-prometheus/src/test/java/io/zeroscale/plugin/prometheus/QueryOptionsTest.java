package io.zeroscale.plugin.prometheus;

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
        return QueryOptions.read(Config.of("targets.shop.policy.signals.rps", options));
    }

    @Test
    void defaultsAreAnInstantQueryWithoutAggregationWhereEmptyIsUnknown() {
        assertThat(read(Map.of())).isEqualTo(new QueryOptions(null, false, null));
    }

    @Test
    void everyOption() {
        QueryOptions options = read(Map.of("aggregation", "max", "empty-as-zero", true,
                "range", Map.of("step", "15s", "reduce", "last")));

        assertThat(options).isEqualTo(new QueryOptions(Aggregation.MAX, true,
                new QueryOptions.Range(Duration.ofSeconds(15), Reducer.LAST)));
    }

    @Test
    void aRangeReducesByAverageUnlessTold() {
        assertThat(read(Map.of("range", Map.of("step", "1m"))).range())
                .isEqualTo(new QueryOptions.Range(Duration.ofMinutes(1), Reducer.AVG));
    }

    @Test
    void aRangeNeedsAStep() {
        assertThatThrownBy(() -> read(Map.of("range", Map.of("reduce", "max"))))
                .hasMessageContaining("targets.shop.policy.signals.rps.range.step").hasMessageContaining("required");
    }

    @Test
    void anUnknownAggregationSuggestsOne() {
        assertThatThrownBy(() -> read(Map.of("aggregation", "summ")))
                .hasMessageContaining("targets.shop.policy.signals.rps.aggregation").hasMessageContaining("did you mean 'sum'?");
        assertThatThrownBy(() -> read(Map.of("aggregation", "median")))
                .hasMessageContaining("use one of [avg, max, min, sum]");
    }

    @Test
    void anUnknownReducerSuggestsOne() {
        assertThatThrownBy(() -> read(Map.of("range", Map.of("step", "1m", "reduce", "lats"))))
                .hasMessageContaining("range.reduce").hasMessageContaining("did you mean 'last'?");
    }

    @Test
    void anUnknownOptionIsRejected() {
        assertThatThrownBy(() -> read(Map.of("empty-is-zero", true)))
                .hasMessageContaining("targets.shop.policy.signals.rps.empty-is-zero")
                .hasMessageContaining("did you mean 'empty-as-zero'?");
    }
}
