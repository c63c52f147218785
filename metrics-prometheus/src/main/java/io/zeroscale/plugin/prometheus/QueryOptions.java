package io.zeroscale.plugin.prometheus;

import static java.util.Objects.requireNonNull;

import io.zeroscale.plugin.support.Aggregation;
import io.zeroscale.plugin.support.Reducer;
import io.zeroscale.spi.Config;
import java.time.Duration;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A signal's options for a Prometheus source: {@code aggregation} (sum|avg|max|min, needed when
 * the query returns several series), {@code empty-as-zero} (false) and {@code range: {step,
 * reduce}} (makes it a range query over the window; reduce is last|avg|max|min|sum, default avg).
 */
record QueryOptions(@Nullable Aggregation aggregation, boolean emptyAsZero, @Nullable Range range) {
    static final Set<String> KEYS = Set.of("aggregation", "empty-as-zero", "range");

    record Range(Duration step, Reducer reducer) {
        Range {
            requireNonNull(step, "step is null");
            requireNonNull(reducer, "reducer is null");
        }
    }

    /**
     * Reads {@code options} strictly.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} naming the key and the fix
     */
    static QueryOptions read(Config options) {
        options.requireOnlyKeys(KEYS);
        Aggregation aggregation = options.has("aggregation") ? Aggregation.read(options, "aggregation") : null;
        boolean emptyAsZero = options.bool("empty-as-zero", false);
        Range range = null;
        if (options.has("range")) {
            Config node = options.requireChild("range").requireOnlyKeys(Set.of("step", "reduce"));
            Duration step = node.requireDuration("step");
            if (step.toMillis() < 1) {
                throw node.invalid("step", "must be at least 1ms, e.g. 15s");
            }
            range = new Range(step, Reducer.read(node, "reduce", Reducer.AVG));
        }
        return new QueryOptions(aggregation, emptyAsZero, range);
    }
}
