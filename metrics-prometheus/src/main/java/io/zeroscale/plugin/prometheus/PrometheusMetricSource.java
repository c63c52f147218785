package io.zeroscale.plugin.prometheus;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.zeroscale.plugin.support.HttpErrorCodes;
import io.zeroscale.plugin.support.HttpTransport;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.metrics.MetricQuery;
import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.spi.metrics.SignalValue;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PromQL signal source over Prometheus's HTTP API. Instant queries ({@code /api/v1/query}) are
 * evaluated at the engine clock's time; a signal with a {@code range} option runs a range query
 * ({@code /api/v1/query_range}) over the window ending then and reduces each series' points.
 * Every failure (unreachable, timeout, error answer, no series, NaN, ±Inf, several series without
 * an aggregation) is {@link SignalValue.Unknown} with a reason naming the server; nothing is ever
 * read as 0 except an empty result of a signal that says {@code empty-as-zero: true}.
 */
public final class PrometheusMetricSource implements MetricSource {
    private static final HttpErrorCodes HTTP_ERRORS =
            new HttpErrorCodes(PrometheusErrorCode.UNREACHABLE, PrometheusErrorCode.TIMEOUT, PrometheusErrorCode.TLS_FAILED);
    private static final Logger LOG = LoggerFactory.getLogger(PrometheusMetricSource.class);

    private final String name;
    private final InstantSource clock;
    private final HttpTransport http;
    private final Duration serverTimeout;

    PrometheusMetricSource(String name, PrometheusConfig config, InstantSource clock) {
        this.name = requireNonNull(name, "name is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.http = new HttpTransport("prometheus", name, config.http(), HTTP_ERRORS);
        this.serverTimeout = config.timeout();
    }

    /**
     * Checks the signal's options, then asks Prometheus to parse the PromQL ({@code
     * /api/v1/format_query}, Prometheus 2.30+; older servers run the query once instead). A
     * rejected query stops startup with Prometheus's own message. An unreachable or failing server
     * is not a syntax error: it is logged, and the query is checked again on every evaluation.
     */
    @Override
    public void validate(MetricQuery query) {
        QueryOptions.read(query.options());
        if (query.expression().isBlank()) {
            throw query.options().invalid("query", "is empty; write a PromQL expression");
        }
        try {
            HttpResponse<String> answer = http.postForm("/api/v1/format_query", Map.of("query", query.expression()));
            if (answer.statusCode() == 404) {
                answer = http.postForm("/api/v1/query", instantForm(query.expression(), clock.instant()));
            }
            if (answer.statusCode() == 400) {
                throw new ZeroscaleException(StandardErrorCode.CONFIG_INVALID, query.options().pathOf("query")
                        + ": " + http.backend() + " rejected the PromQL of signal '" + query.signal() + "': "
                        + ApiResult.prometheusMessage(answer) + "; fix the query");
            }
            ApiResult.data(http.backend(), answer);
        } catch (ZeroscaleException e) {
            if (e.errorCode() == StandardErrorCode.CONFIG_INVALID) {
                throw e;
            }
            // One line, no stack trace: the server being down at startup is expected (it may start
            // later), and the message already names the URL and what failed.
            LOG.warn("signal '{}' of metric source '{}': could not check its PromQL now ({}); Prometheus checks it on every query",
                    query.signal(), name, e.getMessage());
        }
    }

    @Override
    public SignalValue query(MetricQuery query, Duration window) {
        Instant now = clock.instant();
        try {
            QueryOptions options = QueryOptions.read(query.options());
            HttpResponse<String> answer = options.range() == null
                    ? http.postForm("/api/v1/query", instantForm(query.expression(), now))
                    : http.postForm("/api/v1/query_range", rangeForm(query.expression(), now, window, options.range()));
            JsonNode data = ApiResult.data(http.backend(), answer);
            List<ApiResult.Series> series = ApiResult.series(http.backend(), data, options.range() != null);
            if (series.isEmpty() && options.emptyAsZero()) {
                return SignalValue.known(0.0, now);
            }
            return SignalValue.known(ApiResult.value(http.backend(), series, options), now);
        } catch (ZeroscaleException e) {
            return SignalValue.unknown(e.getMessage(), now);
        } catch (RuntimeException e) {
            LOG.error("metric source '{}' failed on signal '{}'", name, query.signal(), e);
            return SignalValue.unknown(http.backend() + ": internal error: " + e, now);
        }
    }

    private Map<String, String> instantForm(String expression, Instant at) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("query", expression);
        form.put("time", seconds(at));
        form.put("timeout", seconds(serverTimeout));
        return form;
    }

    private Map<String, String> rangeForm(String expression, Instant end, Duration window, QueryOptions.Range range) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("query", expression);
        form.put("start", seconds(end.minus(window)));
        form.put("end", seconds(end));
        form.put("step", seconds(range.step()));
        form.put("timeout", seconds(serverTimeout));
        return form;
    }

    /** Prometheus takes times and durations as decimal seconds. */
    private static String seconds(Instant at) {
        return BigDecimal.valueOf(at.toEpochMilli(), 3).toPlainString();
    }

    private static String seconds(Duration duration) {
        return BigDecimal.valueOf(duration.toMillis(), 3).toPlainString();
    }

    /** Idempotent; later queries read as unknown. */
    @Override
    public void close() {
        http.close();
    }

    @Override
    public String toString() {
        return "PrometheusMetricSource[" + name + ", " + http.backend() + "]";
    }
}
