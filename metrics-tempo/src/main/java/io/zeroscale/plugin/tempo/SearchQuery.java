package io.zeroscale.plugin.tempo;

import com.fasterxml.jackson.databind.JsonNode;
import io.zeroscale.plugin.support.HttpTransport;
import io.zeroscale.spi.ZeroscaleException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Request rate and exact latency quantiles of one service from TraceQL search, for Tempo without
 * TraceQL metrics. The search finds the service's spans of one kind in the window; a spanset that
 * lists fewer spans than it matched (Tempo caps spans per spanset) is completed by fetching its
 * trace and picking the same spans (service and kind) from it. A search that returns as many
 * traces as its limit may have missed some, so it reads as unknown rather than as a low rate.
 */
final class SearchQuery {
    private static final Map<String, String> OTLP_KINDS = Map.of(
            "1", "internal", "2", "server", "3", "client", "4", "producer", "5", "consumer");

    private final String backend;
    private final HttpTransport http;
    private final TempoConfig config;

    /** One matched span: where it starts and how long it took. */
    record Span(String id, long startNanos, long durationNanos) {}

    SearchQuery(HttpTransport http, TempoConfig config) {
        this.backend = http.backend();
        this.http = http;
        this.config = config;
    }

    /** The TraceQL that selects {@code service}'s spans of {@code spanKind} ({@code any}: all kinds). */
    static String traceql(String service, String spanKind) {
        String quoted = "\"" + service.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        return "{ resource.service.name = " + quoted + (spanKind.equals("any") ? "" : " && kind = " + spanKind) + " }";
    }

    double value(String service, Window window, QueryOptions options) {
        String spanKind = options.spanKind() == null ? "server" : options.spanKind();
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("q", traceql(service, spanKind));
        parameters.put("start", Long.toString(window.startSecond()));
        parameters.put("end", Long.toString(window.endSecond()));
        parameters.put("limit", Integer.toString(config.searchLimit()));
        parameters.put("spss", Integer.toString(config.spansPerSpanset()));
        JsonNode root = TempoJson.body(backend, http.get("/api/search", parameters),
                "check the service name, and that ingest-lag keeps the window out of Tempo's newest data");
        JsonNode traces = root.path("traces");
        if (traces.size() >= config.searchLimit()) {
            throw new ZeroscaleException(TempoErrorCode.INCOMPLETE, backend + ": the search returned "
                    + traces.size() + " traces, its limit, so some may be missing; raise search.limit");
        }
        long fromNanos = window.startSecond() * 1_000_000_000L;
        long toNanos = window.endSecond() * 1_000_000_000L;
        List<Double> durations = new ArrayList<>();
        for (JsonNode trace : traces) {
            for (Span span : spans(trace, service, spanKind)) {
                if (span.startNanos() >= fromNanos && span.startNanos() < toNanos) {
                    durations.add(span.durationNanos() / 1e9);
                }
            }
        }
        if (durations.isEmpty()) {
            throw new ZeroscaleException(TempoErrorCode.EMPTY_RESULT, backend + ": no " + spanKind + " spans of service '"
                    + service + "' between " + window + "; the value is unknown (set empty-as-zero: true if that means 0)");
        }
        QueryOptions.Function function = options.function() == null ? QueryOptions.Function.COUNT : options.function();
        return switch (function) {
            case COUNT -> durations.size();
            case RATE -> durations.size() / (double) window.seconds();
            case QUANTILE -> nearestRank(durations, options.quantile());
        };
    }

    /** The smallest duration that at least {@code quantile} of all durations do not exceed. */
    static double nearestRank(List<Double> durations, double quantile) {
        List<Double> sorted = durations.stream().sorted().toList();
        int rank = (int) Math.ceil(quantile * sorted.size());
        return sorted.get(Math.min(sorted.size(), Math.max(1, rank)) - 1);
    }

    /** The matched spans of one search result, fetching the trace when its spansets were cut short. */
    private List<Span> spans(JsonNode trace, String service, String spanKind) {
        List<JsonNode> spansets = new ArrayList<>();
        trace.path("spanSets").forEach(spansets::add);
        if (spansets.isEmpty() && trace.has("spanSet")) {
            spansets.add(trace.path("spanSet"));
        }
        boolean complete = !spansets.isEmpty();
        Map<String, Span> listed = new LinkedHashMap<>();
        for (JsonNode spanset : spansets) {
            JsonNode spans = spanset.path("spans");
            if (TempoJson.int64(backend, spanset.path("matched")) > spans.size()) {
                complete = false;
            }
            for (JsonNode span : spans) {
                String id = span.path("spanID").asText();
                listed.put(id, new Span(id, TempoJson.int64(backend, span.path("startTimeUnixNano")),
                        TempoJson.int64(backend, span.path("durationNanos"))));
            }
        }
        return complete ? List.copyOf(listed.values()) : fetch(traceId(trace.path("traceID").asText()), service, spanKind);
    }

    /** Tempo drops leading zeros from trace ids in search results; fetches need all 32 digits. */
    static String traceId(String fromSearch) {
        String id = fromSearch.toLowerCase(Locale.ROOT);
        return id.length() >= 32 ? id : "0".repeat(32 - id.length()) + id;
    }

    private List<Span> fetch(String traceId, String service, String spanKind) {
        var answer = http.get("/api/traces/" + traceId, Map.of());
        if (answer.statusCode() == 404) {
            throw new ZeroscaleException(TempoErrorCode.INCOMPLETE,
                    backend + ": trace " + traceId + " found by the search could not be fetched (HTTP 404)");
        }
        JsonNode root = TempoJson.body(backend, answer, "the trace id " + traceId + " was refused");
        JsonNode batches = root.has("batches") ? root.path("batches")
                : root.has("resourceSpans") ? root.path("resourceSpans") : root.path("trace").path("resourceSpans");
        List<Span> out = new ArrayList<>();
        for (JsonNode batch : batches) {
            if (!service.equals(TempoJson.attribute(batch.path("resource").path("attributes"), "service.name"))) {
                continue;
            }
            List<JsonNode> scopes = new ArrayList<>();
            batch.path("scopeSpans").forEach(scopes::add);
            batch.path("instrumentationLibrarySpans").forEach(scopes::add);
            for (JsonNode scope : scopes) {
                for (JsonNode span : scope.path("spans")) {
                    if (spanKind.equals("any") || spanKind.equals(kind(span.path("kind")))) {
                        long start = TempoJson.int64(backend, span.path("startTimeUnixNano"));
                        long end = TempoJson.int64(backend, span.path("endTimeUnixNano"));
                        out.add(new Span(span.path("spanId").asText(), start, end - start));
                    }
                }
            }
        }
        return out;
    }

    /** {@code "SPAN_KIND_SERVER"} (Tempo's JSON) or {@code 2} (OTLP JSON) as {@code server}. */
    private static String kind(JsonNode kind) {
        String text = kind.asText("");
        if (text.startsWith("SPAN_KIND_")) {
            return text.substring("SPAN_KIND_".length()).toLowerCase(Locale.ROOT);
        }
        return OTLP_KINDS.getOrDefault(text, "unspecified");
    }
}
