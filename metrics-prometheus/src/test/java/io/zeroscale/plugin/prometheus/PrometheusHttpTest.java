package io.zeroscale.plugin.prometheus;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.spi.metrics.SignalValue;
import io.zeroscale.testkit.TestPluginContext;
import java.net.URLDecoder;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What goes over the wire, against a loopback server answering in Prometheus's formats: auth and
 * extra headers, retries only where they can help, and answers a real server rarely gives.
 */
class PrometheusHttpTest {
    private static final Duration WINDOW = Duration.ofMinutes(1);
    private static final String VECTOR_OF_7 =
            "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},\"value\":[1767229200,\"7\"]}]}}";
    private static final String BAD_DATA = "{\"status\":\"error\",\"errorType\":\"bad_data\","
            + "\"error\":\"invalid parameter \\\"query\\\": 1:5: parse error: unexpected end of input\"}";
    private static final String OVERLOADED = "{\"status\":\"error\",\"errorType\":\"unavailable\",\"error\":\"too many queries\"}";

    private final LoopbackServer server = LoopbackServer.start();

    @AfterEach
    void stop() {
        server.close();
    }

    private MetricSource source(Map<String, Object> extra) {
        Map<String, Object> config = new LinkedHashMap<>(Map.of("url", server.url(), "retries", Map.of("backoff", "1ms")));
        config.putAll(extra);
        return new PrometheusMetricSourceFactory().create("prom", TestData.sourceConfig(config), TestPluginContext.at(TestData.NOW));
    }

    private SignalValue query(Map<String, Object> extra) {
        try (MetricSource source = source(extra)) {
            return source.query(TestData.query("up"), WINDOW);
        }
    }

    private static Map<String, String> form(String body) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String pair : body.split("&")) {
            String[] parts = pair.split("=", 2);
            out.put(URLDecoder.decode(parts[0], UTF_8), URLDecoder.decode(parts[1], UTF_8));
        }
        return out;
    }

    @Test
    void anInstantQueryPostsThePromqlAtTheEngineClocksTime() {
        server.always(200, VECTOR_OF_7);

        assertThat(query(Map.of("timeout", "2500ms"))).isEqualTo(SignalValue.known(7.0, TestData.NOW));

        LoopbackServer.Request request = server.requests().getFirst();
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.path()).isEqualTo("/api/v1/query");
        assertThat(form(request.body()))
                .containsEntry("query", "up")
                .containsEntry("time", "1767229200.000")
                .containsEntry("timeout", "2.500");
    }

    @Test
    void aRangeQueryAsksForTheWindowEndingNowAtTheStep() {
        server.always(200, "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":"
                + "[{\"metric\":{},\"values\":[[1767229140,\"1\"],[1767229170,\"2\"],[1767229200,\"6\"]]}]}}");

        try (MetricSource source = source(Map.of())) {
            assertThat(source.query(TestData.query("up", Map.of("range", Map.of("step", "30s"))), WINDOW))
                    .isEqualTo(SignalValue.known(3.0, TestData.NOW));
        }

        LoopbackServer.Request request = server.requests().getFirst();
        assertThat(request.path()).isEqualTo("/api/v1/query_range");
        assertThat(form(request.body()))
                .containsEntry("start", "1767229140.000")
                .containsEntry("end", "1767229200.000")
                .containsEntry("step", "30.000");
    }

    @Test
    void aBearerTokenAndExtraHeadersAreSent() {
        server.always(200, VECTOR_OF_7);

        query(Map.of("bearer-token", "t0k3n", "headers", Map.of("X-Team", "search")));

        LoopbackServer.Request request = server.requests().getFirst();
        assertThat(request.header("Authorization")).isEqualTo("Bearer t0k3n");
        assertThat(request.header("X-Team")).isEqualTo("search");
        assertThat(request.header("Accept")).isEqualTo("application/json");
    }

    @Test
    void basicAuthIsSent() {
        server.always(200, VECTOR_OF_7);

        query(Map.of("basic-auth", Map.of("username", "alice", "password", "s3cret")));

        assertThat(server.requests().getFirst().header("Authorization"))
                .isEqualTo("Basic " + Base64.getEncoder().encodeToString("alice:s3cret".getBytes(UTF_8)));
    }

    @Test
    void aPathPrefixInTheUrlIsKept() {
        server.always(200, VECTOR_OF_7);

        try (MetricSource source = new PrometheusMetricSourceFactory().create("prom",
                TestData.sourceConfig(Map.of("url", server.url() + "/prometheus/")), TestPluginContext.at(TestData.NOW))) {
            source.query(TestData.query("up"), WINDOW);
        }

        assertThat(server.requests().getFirst().path()).isEqualTo("/prometheus/api/v1/query");
    }

    @Test
    void anOverloadedServerIsRetriedAndItsLaterAnswerUsed() {
        server.then(503, OVERLOADED).then(503, OVERLOADED).always(200, VECTOR_OF_7);

        assertThat(query(Map.of())).isEqualTo(SignalValue.known(7.0, TestData.NOW));
        assertThat(server.requests()).hasSize(3);
    }

    @Test
    void retriesStopAtMaxAttemptsAndTheLastAnswerIsTheReason() {
        server.always(503, OVERLOADED);

        SignalValue value = query(Map.of("retries", Map.of("max-attempts", 2, "backoff", "1ms")));

        assertThat(value).isInstanceOf(SignalValue.Unknown.class);
        assertThat(((SignalValue.Unknown) value).reason()).contains(server.url(), "503", "too many queries");
        assertThat(server.requests()).hasSize(2);
    }

    @Test
    void aRejectedQueryIsNotRetried() {
        server.always(400, BAD_DATA);

        SignalValue value = query(Map.of());

        assertThat(value).isInstanceOf(SignalValue.Unknown.class);
        assertThat(((SignalValue.Unknown) value).reason()).contains("bad_data", "parse error: unexpected end of input");
        assertThat(server.requests()).hasSize(1);
    }

    @Test
    void anUnauthorizedAnswerIsNotRetried() {
        server.always(401, "Unauthorized");

        SignalValue value = query(Map.of());

        assertThat(((SignalValue.Unknown) value).reason()).contains("401", "Unauthorized");
        assertThat(server.requests()).hasSize(1);
    }

    @Test
    void anAnswerThatIsNotPrometheusJsonIsUnknown() {
        server.always(200, "<html>login</html>");

        SignalValue value = query(Map.of());

        assertThat(((SignalValue.Unknown) value).reason()).contains("without Prometheus API JSON", "<html>login</html>");
    }

    @Test
    void aStringResultIsUnknown() {
        server.always(200, "{\"status\":\"success\",\"data\":{\"resultType\":\"string\",\"result\":[1767229200,\"hello\"]}}");

        assertThat(((SignalValue.Unknown) query(Map.of())).reason()).contains("'string'");
    }

    @Test
    void anUnreachableServerIsUnknownNamingIt() {
        try (MetricSource source = new PrometheusMetricSourceFactory().create("prom",
                TestData.sourceConfig(Map.of("url", "http://127.0.0.1:9", "retries", Map.of("backoff", "1ms"))),
                TestPluginContext.at(TestData.NOW))) {
            SignalValue value = source.query(TestData.query("up"), WINDOW);

            assertThat(((SignalValue.Unknown) value).reason()).contains("http://127.0.0.1:9", "unreachable");
        }
    }

    @Test
    void validationFallsBackToRunningTheQueryWhenFormatQueryIsMissing() {
        server.then(404, "404 page not found").then(400, BAD_DATA);

        try (MetricSource source = source(Map.of())) {
            assertThatThrownBy(() -> source.validate(TestData.query("sum(")))
                    .isInstanceOfSatisfying(ZeroscaleException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(StandardErrorCode.CONFIG_INVALID))
                    .hasMessageContaining("parse error: unexpected end of input");
        }
        assertThat(server.requests()).extracting(LoopbackServer.Request::path)
                .containsExactly("/api/v1/format_query", "/api/v1/query");
    }

    @Test
    void validationDoesNotFailWhenTheServerIsOverloaded() {
        server.always(503, OVERLOADED);

        try (MetricSource source = source(Map.of("retries", Map.of("max-attempts", 1)))) {
            source.validate(TestData.query("up"));
        }
        assertThat(server.requests()).hasSize(1);
    }

    @Test
    void aClosedSourceSendsNothing() {
        MetricSource source = source(Map.of());
        source.close();

        assertThat(source.query(TestData.query("up"), WINDOW)).isInstanceOf(SignalValue.Unknown.class);
        assertThat(server.requests()).isEmpty();
    }
}
