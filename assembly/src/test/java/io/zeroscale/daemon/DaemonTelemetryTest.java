package io.zeroscale.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.zeroscale.daemon.config.TelemetrySettings;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The daemon's own telemetry: scraped by Prometheus always, pushed with OTLP when configured. */
class DaemonTelemetryTest {
    @Test
    void metricsAreScrapedInThePrometheusTextFormat() throws Exception {
        try (DaemonTelemetry telemetry = DaemonTelemetry.create(new TelemetrySettings("zeroscale", false, null), "1.2.3")) {
            telemetry.openTelemetry().getMeter("test").counterBuilder("test.wakes").build().add(3);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            var writer = telemetry.writerFor(null);
            telemetry.scrape(writer, out);
            assertThat(writer.getContentType()).startsWith("text/plain");
            assertThat(out.toString(StandardCharsets.UTF_8)).contains("test_wakes_total{otel_scope_name=\"test\"} 3.0");
        }
    }

    @Test
    void metricsAndTracesArePushedWithOtlpWhenConfigured() throws Exception {
        List<String> received = new CopyOnWriteArrayList<>();
        HttpServer collector = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        collector.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            received.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath() + " "
                    + exchange.getRequestHeaders().getFirst("Content-Type") + " " + exchange.getRequestHeaders().getFirst("Authorization"));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        collector.start();
        try {
            TelemetrySettings settings = new TelemetrySettings("zeroscale-test", false, new TelemetrySettings.Otlp(
                    "http://127.0.0.1:" + collector.getAddress().getPort(), false, Duration.ofMillis(200),
                    Map.of("Authorization", "Bearer collector-token")));
            try (DaemonTelemetry telemetry = DaemonTelemetry.create(settings, "1.2.3")) {
                telemetry.openTelemetry().getMeter("test").counterBuilder("test.wakes").build().add(1);
                telemetry.openTelemetry().getTracer("test").spanBuilder("GET /targets").startSpan().end();
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> received.contains("POST /v1/metrics application/x-protobuf Bearer collector-token"));
            }
            // Closing flushes the batched spans.
            assertThat(received).contains("POST /v1/traces application/x-protobuf Bearer collector-token");
        } finally {
            collector.stop(0);
        }
    }

    @Test
    void otlpHttpPutsEachSignalUnderItsPath() {
        assertThat(DaemonTelemetry.signalUrl("http://collector:4318", "traces")).isEqualTo("http://collector:4318/v1/traces");
        assertThat(DaemonTelemetry.signalUrl("http://collector:4318/", "metrics")).isEqualTo("http://collector:4318/v1/metrics");
    }
}
