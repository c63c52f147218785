package io.zeroscale.plugin.tempo;

import com.fasterxml.jackson.databind.JsonNode;
import io.zeroscale.spi.Durations;
import io.zeroscale.spi.ZeroscaleException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * A TraceQL metrics query ({@code rate()}, {@code count_over_time()}, {@code quantile_over_time()}
 * ...) over {@code /api/metrics/query_range}. Tempo labels each sample with the end of its step
 * and adds one sample before the start; only samples in (start, end] count.
 */
final class MetricsQuery {
    private MetricsQuery() {}

    /** The request parameters for {@code expression} over {@code window}, steps of {@code stepSeconds}. */
    static Map<String, String> parameters(String expression, Window window, long stepSeconds) {
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("q", expression);
        parameters.put("start", Long.toString(window.startSecond()));
        parameters.put("end", Long.toString(window.endSecond()));
        parameters.put("step", stepSeconds + "s");
        return parameters;
    }

    static String hintOn400(TempoConfig config) {
        return "check the TraceQL metrics query, and that ingest-lag (" + Durations.format(config.ingestLag())
                + ") keeps the window out of the newest data Tempo refuses to query";
    }

    /**
     * The signal's value from a {@code query_range} answer.
     *
     * @throws ZeroscaleException {@code INCOMPLETE}, {@code EMPTY_RESULT}, {@code AMBIGUOUS_RESULT} or {@code NOT_A_NUMBER}
     */
    static double value(String backend, JsonNode root, Window window, QueryOptions options) {
        if ("PARTIAL".equals(root.path("status").asText())) {
            throw new ZeroscaleException(TempoErrorCode.INCOMPLETE, backend + " returned partial results ("
                    + root.path("message").asText("no reason given") + "), so the value is unknown");
        }
        long fromMs = window.startSecond() * 1000;
        long toMs = window.endSecond() * 1000;
        List<String> names = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        for (JsonNode series : root.path("series")) {
            List<long[]> order = new ArrayList<>();
            List<Double> samples = new ArrayList<>();
            for (JsonNode sample : series.path("samples")) {
                long at = TempoJson.int64(backend, sample.path("timestampMs"));
                double value = TempoJson.number(backend, sample.path("value"));
                if (at > fromMs && at <= toMs && !Double.isNaN(value)) {
                    order.add(new long[] {at, samples.size()});
                    samples.add(value);
                }
            }
            if (samples.isEmpty()) {
                continue;
            }
            order.sort(Comparator.comparingLong(pair -> pair[0]));
            List<Double> inTimeOrder = order.stream().map(pair -> samples.get((int) pair[1])).toList();
            names.add(describe(series.path("labels")));
            values.add(options.reducer().apply(inTimeOrder));
        }
        if (values.isEmpty()) {
            throw new ZeroscaleException(TempoErrorCode.EMPTY_RESULT, backend + ": no series with samples between "
                    + window + "; the value is unknown (set empty-as-zero: true if no spans means 0)");
        }
        double value;
        if (values.size() == 1) {
            value = values.getFirst();
        } else if (options.aggregation() == null) {
            throw new ZeroscaleException(TempoErrorCode.AMBIGUOUS_RESULT, backend + ": " + values.size()
                    + " series matched (" + String.join(", ", names.subList(0, Math.min(3, names.size())))
                    + (names.size() > 3 ? ", ..." : "") + "); set the signal's aggregation (sum|avg|max|min)");
        } else {
            value = options.aggregation().apply(values);
        }
        if (Double.isInfinite(value)) {
            throw new ZeroscaleException(TempoErrorCode.NOT_A_NUMBER, backend + ": the value is infinite");
        }
        return value;
    }

    private static String describe(JsonNode labels) {
        StringJoiner out = new StringJoiner(", ", "{", "}");
        for (JsonNode label : labels) {
            out.add(label.path("key").asText() + "=" + TempoJson.anyValue(label.path("value")));
        }
        return out.toString();
    }
}
