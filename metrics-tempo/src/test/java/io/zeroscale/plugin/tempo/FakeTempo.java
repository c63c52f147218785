package io.zeroscale.plugin.tempo;

import static io.opentelemetry.api.common.AttributeKey.stringKey;
import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * A loopback HTTP server that answers like Grafana Tempo's query frontend, over spans a test made
 * with the OpenTelemetry SDK. It implements {@code /ready}, {@code /api/search}, {@code
 * /api/traces/<id>} and {@code /api/metrics/query_range} in Tempo's JSON (protobuf's JSON
 * mapping: 64-bit integers as strings, zero values and empty lists left out, NaN as "NaN"), with
 * the behaviour seen on a real Tempo (the repository's docs/testing.md):
 *
 * <ul>
 *   <li>metric samples are labelled with the END of their step and count spans starting in (t −
 *       step, t]; one extra sample, without value, sits at the start;
 *   <li>a zero value has no {@code value} key; {@code rate()} over no spans is a series of such
 *       samples, {@code quantile_over_time()} over no spans is no series at all;
 *   <li>quantiles are estimated from power-of-two buckets, not taken from the raw durations;
 *   <li>the newest 30s are never returned: a metrics window wholly inside them is HTTP 400, and
 *       search leaves out traces that ended inside them;
 *   <li>search results drop the leading zeros of trace ids, cap the spans listed per spanset at
 *       {@code spss} while {@code matched} counts them all;
 *   <li>in multi-tenant mode a request without {@code X-Scope-OrgID} is HTTP 401 "no org id",
 *       and each tenant sees only its own spans.
 * </ul>
 *
 * <p>It does not parse TraceQL: a test defines which query strings exist and which spans each
 * selects; any other query is HTTP 400 like a TraceQL syntax error. Stricter than Tempo in one
 * place: a trace is found only by its full 32-digit id (Tempo would pad), which proves the source pads.
 */
final class FakeTempo implements AutoCloseable {
    static final String SINGLE_TENANT = "single-tenant";
    static final long CUTOFF_SECONDS = 30;

    enum Kind { RATE, COUNT, QUANTILE }

    private record MetricsQuery(Predicate<SpanData> filter, Kind kind, List<Double> quantiles,
            @Nullable String byLabel, @Nullable Function<SpanData, String> by) {}

    record Request(String path, Map<String, String> parameters, Map<String, List<String>> headers) {
        String header(String name) {
            return headers.entrySet().stream().filter(entry -> entry.getKey().equalsIgnoreCase(name))
                    .map(entry -> entry.getValue().getFirst()).findFirst().orElse("");
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final InstantSource clock;
    private final boolean multiTenant;
    private final HttpServer server;
    private final Map<String, List<SpanData>> spansByTenant = new ConcurrentHashMap<>();
    private final Map<String, MetricsQuery> metricsQueries = new ConcurrentHashMap<>();
    private final Map<String, Predicate<SpanData>> searchQueries = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<int[]> failures = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> failureBodies = new ConcurrentLinkedQueue<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private volatile boolean partial;

    FakeTempo(InstantSource clock, boolean multiTenant) {
        this.clock = clock;
        this.multiTenant = multiTenant;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    /** Stores spans as Tempo's distributor would, for {@code tenant}. */
    FakeTempo ingest(String tenant, List<SpanData> spans) {
        spansByTenant.computeIfAbsent(tenant, key -> new CopyOnWriteArrayList<>()).addAll(spans);
        return this;
    }

    FakeTempo ingest(List<SpanData> spans) {
        return ingest(SINGLE_TENANT, spans);
    }

    /** Makes {@code traceql} a valid metrics query over the spans {@code filter} selects. */
    FakeTempo defineMetrics(String traceql, Predicate<SpanData> filter, Kind kind, double... quantiles) {
        List<Double> qs = new ArrayList<>();
        for (double q : quantiles) {
            qs.add(q);
        }
        metricsQueries.put(traceql, new MetricsQuery(filter, kind, qs, null, null));
        return this;
    }

    /** As {@link #defineMetrics}, one series per value of {@code by} (TraceQL's {@code by(label)}). */
    FakeTempo defineMetricsBy(String traceql, Predicate<SpanData> filter, Kind kind, String label,
            Function<SpanData, String> by) {
        metricsQueries.put(traceql, new MetricsQuery(filter, kind, List.of(), label, by));
        return this;
    }

    /** Makes {@code traceql} a valid search query over the spans {@code filter} selects. */
    FakeTempo defineSearch(String traceql, Predicate<SpanData> filter) {
        searchQueries.put(traceql, filter);
        return this;
    }

    /** Answers the next request with {@code status} and a plain-text {@code body}. */
    FakeTempo failNext(int status, String body) {
        failures.add(new int[] {status});
        failureBodies.add(body);
        return this;
    }

    /** Marks metrics answers as partial (Tempo's {@code "status": "PARTIAL"}). */
    FakeTempo partial(boolean partial) {
        this.partial = partial;
        return this;
    }

    List<Request> requests() {
        return new ArrayList<>(requests);
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }

    static String service(SpanData span) {
        String service = span.getResource().getAttribute(stringKey("service.name"));
        return service == null ? "" : service;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Map<String, String> parameters = parameters(exchange.getRequestURI().getRawQuery());
            String path = exchange.getRequestURI().getPath();
            requests.add(new Request(path, parameters, Map.copyOf(exchange.getRequestHeaders())));
            int[] failure = failures.poll();
            if (failure != null) {
                reply(exchange, failure[0], failureBodies.remove());
                return;
            }
            if (path.equals("/ready")) {
                reply(exchange, 200, "ready");
                return;
            }
            String tenant = exchange.getRequestHeaders().getFirst("X-Scope-OrgID");
            if (multiTenant && (tenant == null || tenant.isBlank())) {
                reply(exchange, 401, "no org id");
                return;
            }
            List<SpanData> spans = spansByTenant.getOrDefault(multiTenant ? tenant : SINGLE_TENANT, List.of());
            if (path.equals("/api/metrics/query_range")) {
                queryRange(exchange, parameters, spans);
            } else if (path.equals("/api/search")) {
                search(exchange, parameters, spans);
            } else if (path.startsWith("/api/traces/")) {
                trace(exchange, path.substring("/api/traces/".length()), spans);
            } else {
                reply(exchange, 404, "404 page not found");
            }
        }
    }

    private void queryRange(HttpExchange exchange, Map<String, String> parameters, List<SpanData> spans)
            throws IOException {
        String q = parameters.getOrDefault("q", "");
        MetricsQuery query = metricsQueries.get(q);
        if (query == null) {
            reply(exchange, 400, "invalid TraceQL query: parse error at line 1, col 1: syntax error: unexpected IDENTIFIER");
            return;
        }
        long start = seconds(parameters.get("start"));
        long requestedEnd = seconds(parameters.get("end"));
        long step = Long.parseLong(parameters.getOrDefault("step", "60s").replace("s", ""));
        long cutoff = clock.instant().getEpochSecond() - CUTOFF_SECONDS;
        if (start >= cutoff) {
            reply(exchange, 400, "invalid start and end: the whole range is after query_end_cutoff (30s before now)");
            return;
        }
        long end = Math.min(requestedEnd, cutoff);
        Map<String, List<SpanData>> groups = spans.stream().filter(query.filter())
                .collect(Collectors.groupingBy(span -> query.by() == null ? "" : query.by().apply(span), TreeMap::new,
                        Collectors.toList()));
        ObjectNode root = JSON.createObjectNode();
        ArrayNode series = JSON.createArrayNode();
        if (query.kind() == Kind.QUANTILE) {
            List<SpanData> all = groups.getOrDefault("", List.of());
            if (all.stream().anyMatch(span -> startSecondIn(span, start, end))) {
                for (double quantile : query.quantiles()) {
                    ObjectNode one = series.addObject();
                    ObjectNode label = one.putArray("labels").addObject();
                    label.put("key", "p");
                    label.putObject("value").put("doubleValue", quantile);
                    ArrayNode samples = one.putArray("samples");
                    samples.addObject().put("timestampMs", Long.toString(start * 1000));
                    for (long t = start + step; t <= end; t += step) {
                        long stepEnd = t;
                        List<Long> durations = all.stream().filter(span -> startSecondIn(span, stepEnd - step, stepEnd))
                                .map(span -> span.getEndEpochNanos() - span.getStartEpochNanos()).toList();
                        ObjectNode sample = samples.addObject().put("timestampMs", Long.toString(t * 1000));
                        if (durations.isEmpty()) {
                            sample.put("value", "NaN");
                        } else {
                            putNonZero(sample, log2Quantile(durations, quantile));
                        }
                    }
                }
            }
        } else {
            if (groups.isEmpty() && query.by() == null) {
                groups.put("", List.of());
            }
            for (Map.Entry<String, List<SpanData>> group : groups.entrySet()) {
                ObjectNode one = series.addObject();
                if (query.byLabel() != null) {
                    ObjectNode label = one.putArray("labels").addObject();
                    label.put("key", query.byLabel());
                    label.putObject("value").put("stringValue", group.getKey());
                }
                ArrayNode samples = one.putArray("samples");
                samples.addObject().put("timestampMs", Long.toString(start * 1000));
                for (long t = start + step; t <= end; t += step) {
                    long stepEnd = t;
                    long count = group.getValue().stream().filter(span -> startSecondIn(span, stepEnd - step, stepEnd)).count();
                    ObjectNode sample = samples.addObject().put("timestampMs", Long.toString(t * 1000));
                    putNonZero(sample, query.kind() == Kind.RATE ? count / (double) step : count);
                }
            }
        }
        if (!series.isEmpty()) {
            root.set("series", series);
        }
        root.putObject("metrics").put("inspectedSpans", Integer.toString(spans.size()));
        if (partial) {
            root.put("status", "PARTIAL");
            root.put("message", "a querier timed out");
        }
        reply(exchange, 200, JSON.writeValueAsString(root));
    }

    private void search(HttpExchange exchange, Map<String, String> parameters, List<SpanData> spans) throws IOException {
        Predicate<SpanData> filter = searchQueries.get(parameters.getOrDefault("q", ""));
        if (filter == null) {
            reply(exchange, 400, "invalid TraceQL query: parse error at line 1, col 1: syntax error: unexpected IDENTIFIER");
            return;
        }
        long startNanos = seconds(parameters.get("start")) * 1_000_000_000L;
        long endNanos = seconds(parameters.get("end")) * 1_000_000_000L;
        int limit = Integer.parseInt(parameters.getOrDefault("limit", "20"));
        int spss = Integer.parseInt(parameters.getOrDefault("spss", "3"));
        long cutoffNanos = (clock.instant().getEpochSecond() - CUTOFF_SECONDS) * 1_000_000_000L;
        Map<String, List<SpanData>> traces = spans.stream().collect(Collectors.groupingBy(SpanData::getTraceId));
        List<List<SpanData>> found = traces.values().stream()
                .filter(trace -> trace.stream().anyMatch(filter))
                .filter(trace -> firstStart(trace) <= endNanos && lastEnd(trace) >= startNanos)
                .filter(trace -> lastEnd(trace) <= cutoffNanos)
                .sorted(Comparator.comparingLong(FakeTempo::firstStart).reversed())
                .limit(limit)
                .toList();
        ObjectNode root = JSON.createObjectNode();
        ArrayNode out = JSON.createArrayNode();
        for (List<SpanData> trace : found) {
            SpanData rootSpan = trace.stream().filter(span -> !span.getParentSpanContext().isValid()).findFirst()
                    .orElse(trace.getFirst());
            ObjectNode entry = out.addObject();
            entry.put("traceID", trace.getFirst().getTraceId().replaceFirst("^0+", ""));
            entry.put("rootServiceName", service(rootSpan));
            entry.put("rootTraceName", rootSpan.getName());
            entry.put("startTimeUnixNano", Long.toString(firstStart(trace)));
            long durationMs = (lastEnd(trace) - firstStart(trace)) / 1_000_000;
            if (durationMs != 0) {
                entry.put("durationMs", durationMs);
            }
            List<SpanData> matched = trace.stream().filter(filter)
                    .sorted(Comparator.comparingLong(SpanData::getStartEpochNanos)).toList();
            ObjectNode spanset = JSON.createObjectNode();
            ArrayNode listed = spanset.putArray("spans");
            for (SpanData span : matched.subList(0, Math.min(spss, matched.size()))) {
                ObjectNode one = listed.addObject();
                one.put("spanID", span.getSpanId());
                one.put("name", span.getName());
                one.put("startTimeUnixNano", Long.toString(span.getStartEpochNanos()));
                long duration = span.getEndEpochNanos() - span.getStartEpochNanos();
                if (duration != 0) {
                    one.put("durationNanos", Long.toString(duration));
                }
                ObjectNode attribute = one.putArray("attributes").addObject();
                attribute.put("key", "service.name");
                attribute.putObject("value").put("stringValue", service(span));
            }
            spanset.put("matched", matched.size());
            entry.set("spanSet", spanset);
            entry.putArray("spanSets").add(spanset);
        }
        if (!out.isEmpty()) {
            root.set("traces", out);
        }
        root.putObject("metrics").put("inspectedTraces", traces.size());
        reply(exchange, 200, JSON.writeValueAsString(root));
    }

    private void trace(HttpExchange exchange, String id, List<SpanData> spans) throws IOException {
        List<SpanData> trace = spans.stream().filter(span -> span.getTraceId().equals(id)).toList();
        if (trace.isEmpty()) {
            reply(exchange, 404, "trace not found");
            return;
        }
        Map<String, List<SpanData>> byService = trace.stream()
                .collect(Collectors.groupingBy(FakeTempo::service, LinkedHashMap::new, Collectors.toList()));
        ObjectNode root = JSON.createObjectNode();
        ArrayNode batches = root.putArray("batches");
        for (Map.Entry<String, List<SpanData>> service : byService.entrySet()) {
            ObjectNode batch = batches.addObject();
            ObjectNode attribute = batch.putObject("resource").putArray("attributes").addObject();
            attribute.put("key", "service.name");
            attribute.putObject("value").put("stringValue", service.getKey());
            ObjectNode scope = batch.putArray("scopeSpans").addObject();
            scope.putObject("scope").put("name", service.getValue().getFirst().getInstrumentationScopeInfo().getName());
            ArrayNode out = scope.putArray("spans");
            for (SpanData span : service.getValue()) {
                ObjectNode one = out.addObject();
                one.put("traceId", base64(span.getTraceId()));
                one.put("spanId", base64(span.getSpanId()));
                if (span.getParentSpanContext().isValid()) {
                    one.put("parentSpanId", base64(span.getParentSpanId()));
                }
                one.put("name", span.getName());
                one.put("kind", "SPAN_KIND_" + span.getKind().name());
                one.put("startTimeUnixNano", Long.toString(span.getStartEpochNanos()));
                one.put("endTimeUnixNano", Long.toString(span.getEndEpochNanos()));
                if (span.getStatus().getStatusCode() != StatusCode.UNSET) {
                    one.putObject("status").put("code", "STATUS_CODE_" + span.getStatus().getStatusCode().name());
                }
            }
        }
        reply(exchange, 200, JSON.writeValueAsString(root));
    }

    /**
     * Tempo's estimate of a duration quantile, as its TraceQL engine makes it (facts read from
     * {@code Log2Bucketize} and {@code Log2Quantile} in grafana/tempo {@code pkg/traceql/engine_metrics.go}):
     * <ol>
     *   <li>each span's duration in nanoseconds goes into the bucket of the next power of two at or
     *       above it (100 ms into 2^27 ns = 0.134 s, 300 ms into 2^29 ns = 0.537 s), labelled with
     *       that bound in seconds;
     *   <li>the rank is {@code ceil(q * count)}, at least 1; buckets are consumed in ascending order
     *       while they fit in the rank, and a bucket that ends exactly at the rank gives its bound;
     *   <li>otherwise the estimate lies in the bucket where the rank falls, at the fraction {@code
     *       (rank - below) / bucketCount}, interpolated <em>exponentially</em>: between the log2 of
     *       the previous non-empty bucket's bound (or one power of two lower for the first bucket)
     *       and the log2 of this bucket's bound.
     * </ol>
     * Half 100 ms and half 300 ms spans (20 of them) give 2^(log2 0.134 + 0.9 × 2) = 0.4674 s for
     * p95, the number a real Tempo answered (docs/testing.md), where linear interpolation gives 0.51 s.
     */
    static double log2Quantile(List<Long> durationsNanos, double q) {
        TreeMap<Double, Integer> buckets = new TreeMap<>();
        for (long duration : durationsNanos) {
            buckets.merge(log2Bucket(duration), 1, Integer::sum);
        }
        int rank = Math.max(1, (int) Math.ceil(q * durationsNanos.size()));
        int below = 0;
        Double previous = null;
        for (Map.Entry<Double, Integer> bucket : buckets.entrySet()) {
            double bound = bucket.getKey();
            int count = bucket.getValue();
            if (below + count > rank) {
                double fraction = (double) (rank - below) / count;
                double high = log2(bound);
                double low = previous == null ? high - 1 : log2(previous);
                return Math.pow(2, low + (high - low) * fraction);
            }
            below += count;
            if (below == rank) {
                return bound;
            }
            previous = bound;
        }
        return buckets.lastKey();
    }

    /** The bound in seconds of the power-of-two bucket a duration falls in (under 2 ns, which no test span has: 1 ns). */
    private static double log2Bucket(long durationNanos) {
        if (durationNanos < 2) {
            return 1 / 1e9;
        }
        long upper = Long.highestOneBit(durationNanos);
        if (upper < durationNanos) {
            upper <<= 1;
        }
        return upper / 1e9;
    }

    private static double log2(double value) {
        return Math.log(value) / Math.log(2);
    }

    private static void putNonZero(ObjectNode sample, double value) {
        if (value != 0) {
            sample.put("value", value);
        }
    }

    private static boolean startSecondIn(SpanData span, long afterSecond, long untilSecond) {
        long start = span.getStartEpochNanos();
        return start > afterSecond * 1_000_000_000L && start <= untilSecond * 1_000_000_000L;
    }

    private static long firstStart(List<SpanData> trace) {
        return trace.stream().mapToLong(SpanData::getStartEpochNanos).min().orElseThrow();
    }

    private static long lastEnd(List<SpanData> trace) {
        return trace.stream().mapToLong(SpanData::getEndEpochNanos).max().orElseThrow();
    }

    private static String base64(String hex) {
        return Base64.getEncoder().encodeToString(HexFormat.of().parseHex(hex));
    }

    /** Unix seconds (up to 10 digits) or nanoseconds, as Tempo accepts them. */
    private static long seconds(@Nullable String value) {
        if (value == null) {
            throw new IllegalArgumentException("start and end are required by this fake");
        }
        long number = Long.parseLong(value);
        return value.length() > 10 ? number / 1_000_000_000L : number;
    }

    private static Map<String, String> parameters(@Nullable String rawQuery) {
        Map<String, String> out = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return out;
        }
        for (String pair : rawQuery.split("&")) {
            String[] parts = pair.split("=", 2);
            out.put(URLDecoder.decode(parts[0], UTF_8), parts.length > 1 ? URLDecoder.decode(parts[1], UTF_8) : "");
        }
        return out;
    }

    private static void reply(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(UTF_8);
        exchange.getResponseHeaders().set("Content-Type", body.startsWith("{") ? "application/json" : "text/plain");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }
}
