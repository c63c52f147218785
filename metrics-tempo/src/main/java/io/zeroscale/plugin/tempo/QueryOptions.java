package io.zeroscale.plugin.tempo;

import static java.util.Objects.requireNonNull;

import io.zeroscale.plugin.support.Aggregation;
import io.zeroscale.plugin.support.Reducer;
import io.zeroscale.spi.Config;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A signal's options for a Tempo source.
 *
 * <ul>
 *   <li>{@code mode}: {@code metrics} (default; the query is a TraceQL metrics query) or {@code
 *       search} (the query is a service name; for Tempo without TraceQL metrics);
 *   <li>{@code aggregation} (sum|avg|max|min) when a metrics query returns several series;
 *   <li>{@code empty-as-zero} (false);
 *   <li>metrics mode: {@code step} (default: the whole window as one step) and {@code reduce}
 *       (last|avg|max|min|sum over the window's steps, default avg);
 *   <li>search mode: {@code function} (rate|count|quantile, required), {@code quantile} (0..1,
 *       with quantile) and {@code span-kind} (server (default), client, producer, consumer,
 *       internal, any).
 * </ul>
 */
// "reduce" above is the config key (held in the reducer component), not a misspelt parameter name.
@SuppressWarnings("InvalidParam")
record QueryOptions(
        Mode mode,
        @Nullable Aggregation aggregation,
        boolean emptyAsZero,
        @Nullable Duration step,
        Reducer reducer,
        @Nullable Function function,
        double quantile,
        @Nullable String spanKind) {

    enum Mode { METRICS, SEARCH }

    /** What search mode computes from the matched spans. */
    enum Function { RATE, COUNT, QUANTILE }

    static final Set<String> KEYS = Set.of("mode", "aggregation", "empty-as-zero", "step", "reduce", "function", "quantile",
            "span-kind");
    private static final Set<String> METRICS_ONLY = Set.of("aggregation", "step", "reduce");
    private static final Set<String> SEARCH_ONLY = Set.of("function", "quantile", "span-kind");
    private static final Set<String> SPAN_KINDS = Set.of("server", "client", "producer", "consumer", "internal", "any");

    QueryOptions {
        requireNonNull(mode, "mode is null");
        requireNonNull(reducer, "reducer is null");
    }

    /**
     * Reads {@code options} strictly.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} naming the key and the fix
     */
    static QueryOptions read(Config options) {
        options.requireOnlyKeys(KEYS);
        Mode mode = switch (options.string("mode", "metrics")) {
            case "metrics" -> Mode.METRICS;
            case "search" -> Mode.SEARCH;
            default -> throw options.invalid("mode", "'" + options.string("mode", "") + "' is not a mode; use metrics"
                    + " (TraceQL metrics queries) or search (TraceQL search plus trace fetches)");
        };
        boolean emptyAsZero = options.bool("empty-as-zero", false);
        Set<String> foreign = mode == Mode.METRICS ? SEARCH_ONLY : METRICS_ONLY;
        for (String key : options.keys()) {
            if (foreign.contains(key)) {
                throw options.invalid(key, "applies only to mode: " + (mode == Mode.METRICS ? "search" : "metrics"));
            }
        }
        if (mode == Mode.METRICS) {
            Aggregation aggregation = options.has("aggregation") ? Aggregation.read(options, "aggregation") : null;
            Duration step = options.duration("step").orElse(null);
            if (step != null && (step.toMillis() % 1000 != 0 || step.isZero())) {
                throw options.invalid("step", "must be whole seconds, at least 1s");
            }
            return new QueryOptions(mode, aggregation, emptyAsZero, step, Reducer.read(options, "reduce", Reducer.AVG),
                    null, 0, null);
        }
        Function function = switch (options.requireString("function")) {
            case "rate" -> Function.RATE;
            case "count" -> Function.COUNT;
            case "quantile" -> Function.QUANTILE;
            default -> throw options.invalid("function", "'" + options.string("function", "")
                    + "' is not a search function; use rate, count or quantile");
        };
        double quantile = 0;
        if (function == Function.QUANTILE) {
            quantile = options.doubleValue("quantile")
                    .orElseThrow(() -> options.invalid("quantile", "required with function: quantile; e.g. 0.95"));
            if (!(quantile > 0 && quantile <= 1)) {
                throw options.invalid("quantile", "must be more than 0 and at most 1, e.g. 0.95; got " + quantile);
            }
        } else if (options.has("quantile")) {
            throw options.invalid("quantile", "applies only to function: quantile");
        }
        String spanKind = options.string("span-kind", "server").toLowerCase(Locale.ROOT);
        if (!SPAN_KINDS.contains(spanKind)) {
            throw options.invalid("span-kind", "'" + spanKind + "' is not a span kind; " + Config.suggestion(spanKind, SPAN_KINDS, "use one of"));
        }
        return new QueryOptions(mode, null, emptyAsZero, null, Reducer.AVG, function, quantile, spanKind);
    }
}
