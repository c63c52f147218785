package io.zeroscale.plugin.prometheus;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zeroscale.plugin.support.HttpTransport;
import io.zeroscale.spi.ZeroscaleException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Reads Prometheus's HTTP API answers: the envelope ({@code status}, {@code data}, {@code
 * errorType}, {@code error}) and the result types {@code vector}, {@code scalar} and {@code
 * matrix}, then turns them into one number as the signal's options say.
 */
final class ApiResult {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ApiResult() {}

    /** One series of a result: its labels and its points in time order (one for an instant query). */
    record Series(Map<String, String> labels, List<Double> points) {
        Series {
            labels = Map.copyOf(labels);
            points = List.copyOf(points);
        }

        String describe() {
            StringJoiner out = new StringJoiner(", ", "{", "}");
            new TreeMap<>(labels).forEach((name, value) -> out.add(name + "=\"" + value + "\""));
            return out.toString();
        }
    }

    /**
     * The {@code data} of a successful answer.
     *
     * @throws ZeroscaleException {@code QUERY_REJECTED} for {@code bad_data} (quoting Prometheus),
     *     {@code QUERY_FAILED} for other errors, {@code BAD_RESPONSE} when it is not the API's JSON
     */
    static JsonNode data(String backend, HttpResponse<String> response) {
        int status = response.statusCode();
        JsonNode root = parse(response.body());
        if (root == null || !root.has("status")) {
            throw new ZeroscaleException(status >= 400 ? PrometheusErrorCode.QUERY_FAILED : PrometheusErrorCode.BAD_RESPONSE,
                    backend + " answered HTTP " + status + " without Prometheus API JSON: "
                            + HttpTransport.snippet(response.body()));
        }
        if ("success".equals(root.path("status").asText()) && status < 300) {
            return root.path("data");
        }
        String errorType = root.path("errorType").asText("");
        String error = root.path("error").asText("(no message)");
        PrometheusErrorCode code = errorType.equals("bad_data") ? PrometheusErrorCode.QUERY_REJECTED
                : PrometheusErrorCode.QUERY_FAILED;
        throw new ZeroscaleException(code, backend + " answered HTTP " + status + " " + errorType + ": " + error);
    }

    /** The message Prometheus gave for a rejected query, without our prefix. */
    static String prometheusMessage(HttpResponse<String> response) {
        JsonNode root = parse(response.body());
        return root == null ? HttpTransport.snippet(response.body()) : root.path("error").asText("");
    }

    private static @Nullable JsonNode parse(String body) {
        try {
            JsonNode root = JSON.readTree(body);
            return root != null && root.isObject() ? root : null;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /**
     * The series of a query result. A {@code matrix} is accepted only from a range query: an
     * instant query returning one means the PromQL selects a range, e.g. {@code x[5m]} without
     * {@code rate()}.
     */
    static List<Series> series(String backend, JsonNode data, boolean rangeQuery) {
        String type = data.path("resultType").asText("");
        JsonNode result = data.path("result");
        List<Series> out = new ArrayList<>();
        switch (type) {
            case "scalar" -> out.add(new Series(Map.of(), List.of(sampleValue(backend, result))));
            case "vector" -> {
                for (JsonNode element : result) {
                    out.add(new Series(labels(element), List.of(sampleValue(backend, element.path("value")))));
                }
            }
            case "matrix" -> {
                if (!rangeQuery) {
                    throw new ZeroscaleException(PrometheusErrorCode.QUERY_REJECTED, backend
                            + " returned a range vector for an instant query; wrap the selector in a function such as"
                            + " rate(...), or set the signal's range option");
                }
                for (JsonNode element : result) {
                    List<Double> points = new ArrayList<>();
                    for (JsonNode point : element.path("values")) {
                        points.add(sampleValue(backend, point));
                    }
                    if (!points.isEmpty()) {
                        out.add(new Series(labels(element), points));
                    }
                }
            }
            default -> throw new ZeroscaleException(PrometheusErrorCode.BAD_RESPONSE,
                    backend + " returned a result of type '" + type + "'; a signal needs a number (scalar or vector)");
        }
        return out;
    }

    /**
     * One number from {@code series}: each series reduced over its points (range queries), then
     * the series combined by the signal's aggregation.
     *
     * @throws ZeroscaleException {@code EMPTY_RESULT}, {@code AMBIGUOUS_RESULT} or {@code NOT_A_NUMBER}
     */
    static double value(String backend, List<Series> series, QueryOptions options) {
        if (series.isEmpty()) {
            throw new ZeroscaleException(PrometheusErrorCode.EMPTY_RESULT, backend
                    + ": no series matched; the value is unknown (set empty-as-zero: true if no series means 0)");
        }
        List<Double> values = new ArrayList<>(series.size());
        for (Series one : series) {
            if (one.points().stream().anyMatch(point -> Double.isNaN(point))) {
                throw new ZeroscaleException(PrometheusErrorCode.NOT_A_NUMBER,
                        backend + ": series " + one.describe() + " is NaN (for example 0/0), so the value is unknown");
            }
            values.add(options.range() == null ? one.points().getLast() : options.range().reducer().apply(one.points()));
        }
        double value;
        if (values.size() == 1) {
            value = values.getFirst();
        } else if (options.aggregation() == null) {
            throw new ZeroscaleException(PrometheusErrorCode.AMBIGUOUS_RESULT, backend + ": " + values.size()
                    + " series matched (" + describeFew(series) + "); set the signal's aggregation (sum|avg|max|min)"
                    + " or aggregate in PromQL, e.g. sum(...)");
        } else {
            value = options.aggregation().apply(values);
        }
        if (Double.isInfinite(value)) {
            throw new ZeroscaleException(PrometheusErrorCode.NOT_A_NUMBER,
                    backend + ": the value is " + (value > 0 ? "+Inf" : "-Inf") + ", which cannot drive scaling");
        }
        return value;
    }

    private static String describeFew(List<Series> series) {
        StringJoiner out = new StringJoiner(", ");
        series.stream().limit(3).forEach(one -> out.add(one.describe()));
        return series.size() > 3 ? out + ", ..." : out.toString();
    }

    private static Map<String, String> labels(JsonNode element) {
        Map<String, String> labels = new TreeMap<>();
        for (Map.Entry<String, JsonNode> field : element.path("metric").properties()) {
            labels.put(field.getKey(), field.getValue().asText());
        }
        return labels;
    }

    /** {@code [timestamp, "value"]}; Prometheus writes values as strings, with NaN and ±Inf spelled out. */
    private static double sampleValue(String backend, JsonNode pair) {
        JsonNode value = pair.path(1);
        if (!pair.isArray() || pair.size() != 2 || !value.isTextual()) {
            throw new ZeroscaleException(PrometheusErrorCode.BAD_RESPONSE,
                    backend + " returned a sample that is not [time, \"value\"]: " + pair);
        }
        return parseValue(backend, value.asText());
    }

    static double parseValue(String backend, String text) {
        requireNonNull(text, "text is null");
        return switch (text) {
            case "NaN" -> Double.NaN;
            case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> {
                try {
                    yield Double.parseDouble(text);
                } catch (NumberFormatException e) {
                    throw new ZeroscaleException(PrometheusErrorCode.BAD_RESPONSE,
                            backend + " returned '" + text + "', which is not a number", e);
                }
            }
        };
    }
}
