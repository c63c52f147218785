package io.zeroscale.plugin.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.Config;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AggregationAndReducerTest {
    private static final List<Double> VALUES = List.of(4.0, 1.0, 7.0);

    @Test
    void aggregationsCombineSeries() {
        assertThat(Aggregation.SUM.apply(VALUES)).isEqualTo(12.0);
        assertThat(Aggregation.AVG.apply(VALUES)).isEqualTo(4.0);
        assertThat(Aggregation.MAX.apply(VALUES)).isEqualTo(7.0);
        assertThat(Aggregation.MIN.apply(VALUES)).isEqualTo(1.0);
    }

    @Test
    void reducersKeepTimeOrderForLast() {
        assertThat(Reducer.LAST.apply(VALUES)).isEqualTo(7.0);
        assertThat(Reducer.SUM.apply(VALUES)).isEqualTo(12.0);
        assertThat(Reducer.MIN.apply(VALUES)).isEqualTo(1.0);
    }

    @Test
    void nothingToCombineIsAnErrorNotZero() {
        assertThatThrownBy(() -> Aggregation.SUM.apply(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Reducer.SUM.apply(List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void namesAreReadFromConfigWithASuggestion() {
        Config options = Config.of("targets.t.policy.signals.s", Map.of("aggregation", "max", "reduce", "lst"));

        assertThat(Aggregation.read(options, "aggregation")).isEqualTo(Aggregation.MAX);
        assertThat(Reducer.read(options, "absent", Reducer.AVG)).isEqualTo(Reducer.AVG);
        assertThatThrownBy(() -> Reducer.read(options, "reduce", Reducer.AVG))
                .hasMessageContaining("targets.t.policy.signals.s.reduce")
                .hasMessageContaining("'lst' is not a reducer")
                .hasMessageContaining("'last'");
    }
}
