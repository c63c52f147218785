package io.zeroscale.plugin.tempo;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.zeroscale.plugin.support.HttpErrorCodes;
import io.zeroscale.plugin.support.HttpTransport;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.metrics.MetricQuery;
import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.spi.metrics.SignalValue;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signals from Grafana Tempo. In {@code mode: metrics} (the default) the signal's query is a
 * TraceQL metrics query run over {@code /api/metrics/query_range}; in {@code mode: search} the
 * query is a service name and the rate, count or an exact latency quantile of its spans comes
 * from {@code /api/search} plus trace fetches. Every window ends {@code ingest-lag} before the
 * engine clock's now. Failures, partial answers and empty results are {@link SignalValue.Unknown}
 * with a reason naming the server; only {@code empty-as-zero: true} turns an empty result into 0.
 */
public final class TempoMetricSource implements MetricSource {
    private static final HttpErrorCodes HTTP_ERRORS =
            new HttpErrorCodes(TempoErrorCode.UNREACHABLE, TempoErrorCode.TIMEOUT, TempoErrorCode.TLS_FAILED);
    private static final Logger LOG = LoggerFactory.getLogger(TempoMetricSource.class);

    private final String name;
    private final TempoConfig config;
    private final InstantSource clock;
    private final HttpTransport http;
    private final SearchQuery search;

    TempoMetricSource(String name, TempoConfig config, InstantSource clock) {
        this.name = requireNonNull(name, "name is null");
        this.config = requireNonNull(config, "config is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.http = new HttpTransport("tempo", name, config.http(), HTTP_ERRORS);
        this.search = new SearchQuery(http, config);
    }

    /**
     * Checks the signal's options; for a metrics query, also asks Tempo to run it once over one
     * step, so a TraceQL error stops startup with Tempo's own message. An unreachable or failing
     * Tempo is not a syntax error: it is logged, and the query is tried again on every evaluation.
     */
    @Override
    public void validate(MetricQuery query) {
        QueryOptions options = QueryOptions.read(query.options());
        if (query.expression().isBlank()) {
            throw query.options().invalid("query", options.mode() == QueryOptions.Mode.METRICS
                    ? "is empty; write a TraceQL metrics query" : "is empty; write the service name");
        }
        if (options.mode() == QueryOptions.Mode.SEARCH) {
            return;
        }
        long step = options.step() == null ? 60 : options.step().toSeconds();
        Window window = Window.of(clock.instant(), config.ingestLag(), Duration.ofSeconds(step), step);
        try {
            HttpResponse<String> answer = http.get("/api/metrics/query_range",
                    MetricsQuery.parameters(query.expression(), window, step));
            if (answer.statusCode() == 400) {
                throw new ZeroscaleException(StandardErrorCode.CONFIG_INVALID, query.options().pathOf("query") + ": "
                        + http.backend() + " rejected the TraceQL of signal '" + query.signal() + "': "
                        + HttpTransport.snippet(answer.body()) + "; " + MetricsQuery.hintOn400(config));
            }
            TempoJson.body(http.backend(), answer, MetricsQuery.hintOn400(config));
        } catch (ZeroscaleException e) {
            if (e.errorCode() == StandardErrorCode.CONFIG_INVALID) {
                throw e;
            }
            // One line, no stack trace: the server being down at startup is expected (it may start
            // later), and the message already names the URL and what failed.
            LOG.warn("signal '{}' of metric source '{}': could not check its TraceQL now ({}); Tempo checks it on every query",
                    query.signal(), name, e.getMessage());
        }
    }

    @Override
    public SignalValue query(MetricQuery query, Duration window) {
        Instant now = clock.instant();
        try {
            QueryOptions options = QueryOptions.read(query.options());
            double value = switch (options.mode()) {
                case METRICS -> metrics(query.expression(), now, window, options);
                case SEARCH -> search.value(query.expression(), Window.of(now, config.ingestLag(), window, 1), options);
            };
            return SignalValue.known(value, now);
        } catch (ZeroscaleException e) {
            if (e.errorCode() == TempoErrorCode.EMPTY_RESULT && emptyAsZero(query)) {
                return SignalValue.known(0.0, now);
            }
            return SignalValue.unknown(e.getMessage(), now);
        } catch (RuntimeException e) {
            LOG.error("metric source '{}' failed on signal '{}'", name, query.signal(), e);
            return SignalValue.unknown(http.backend() + ": internal error: " + e, now);
        }
    }

    private double metrics(String expression, Instant now, Duration window, QueryOptions options) {
        long step = options.step() == null ? Window.seconds(window) : options.step().toSeconds();
        Window range = Window.of(now, config.ingestLag(), window, step);
        JsonNode root = TempoJson.body(http.backend(),
                http.get("/api/metrics/query_range", MetricsQuery.parameters(expression, range, step)),
                MetricsQuery.hintOn400(config));
        return MetricsQuery.value(http.backend(), root, range, options);
    }

    private static boolean emptyAsZero(MetricQuery query) {
        return QueryOptions.read(query.options()).emptyAsZero();
    }

    /** Idempotent; later queries read as unknown. */
    @Override
    public void close() {
        http.close();
    }

    @Override
    public String toString() {
        return "TempoMetricSource[" + name + ", " + http.backend() + "]";
    }
}
