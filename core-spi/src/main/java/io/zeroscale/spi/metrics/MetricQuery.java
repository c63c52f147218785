package io.zeroscale.spi.metrics;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Config;

/**
 * One signal's query, as written under a target's {@code signals:}.
 *
 * @param signal the signal's name, e.g. {@code rps}
 * @param expression the query in the source's language (PromQL, TraceQL)
 * @param options the signal's other settings (aggregation, {@code empty-as-zero}); the source
 *     validates them
 */
public record MetricQuery(String signal, String expression, Config options) {
    public MetricQuery {
        requireNonNull(signal, "signal is null");
        requireNonNull(expression, "expression is null");
        requireNonNull(options, "options is null");
    }
}
