package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.zeroscale.engine.time.VirtualScheduler;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.testkit.FakeOrchestrator;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Decisions and orchestrator calls show up as OpenTelemetry metrics and spans. */
class TelemetryTest {
    @Test
    void decisionsAndActuationsAreCountedAndTraced() {
        InMemoryMetricReader metrics = InMemoryMetricReader.create();
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
                .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
                .build();
        VirtualScheduler time = new VirtualScheduler(Instant.parse("2026-01-01T00:00:00Z"));
        FakeOrchestrator orchestrator = new FakeOrchestrator(time, Duration.ofSeconds(2));
        TargetSpec spec = TargetSpec.fromConfig("app", YamlConfig.parse("orchestrator: fake\nworkload: { kind: Process }\n", "t", "targets.app"));
        try (Zeroscale zeroscale = Zeroscale.builder().virtualTime(time).openTelemetry(sdk).orchestrator("fake", orchestrator).target(spec).build()) {
            zeroscale.start();
            time.runDue();
            zeroscale.trafficHub().report("gw", spec.ref(), new RequestStats(1, 0, 1, 0, 0));
            time.advance(Duration.ofSeconds(3));

            assertThat(spans.getFinishedSpanItems()).extracting(SpanData::getName)
                    .contains("zeroscale.decision", "zeroscale.actuation scale");
            assertThat(metrics.collectAllMetrics()).extracting(MetricData::getName)
                    .contains("zeroscale.decisions", "zeroscale.actuations", "zeroscale.actuation.duration",
                            "zeroscale.target.replicas.desired", "zeroscale.target.replicas.ready");
            MetricData duration = metrics.collectAllMetrics().stream()
                    .filter(metric -> metric.getName().equals("zeroscale.actuation.duration"))
                    .findFirst()
                    .orElseThrow();
            assertThat(duration.getUnit()).isEqualTo("s");
            assertThat(duration.getHistogramData().getPoints()).singleElement()
                    .satisfies(point -> {
                        assertThat(point.getBoundaries()).as("bucket boundaries, in seconds")
                                .containsExactly(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0);
                        assertThat(point.getCount()).isPositive();
                    });
        } finally {
            sdk.close();
        }
    }

    @Test
    void everyFailedAttemptIsCountedByErrorCode() {
        InMemoryMetricReader metrics = InMemoryMetricReader.create();
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
                .build();
        VirtualScheduler time = new VirtualScheduler(Instant.parse("2026-01-01T00:00:00Z"));
        FakeOrchestrator orchestrator = new FakeOrchestrator(time, Duration.ofSeconds(2));
        TargetSpec spec = TargetSpec.fromConfig("app", YamlConfig.parse("orchestrator: fake\nworkload: { kind: Process }\n", "t", "targets.app"));
        ActuationSettings twoQuickAttempts = new ActuationSettings(2, Duration.ofMillis(1), Duration.ofMillis(1), Duration.ofSeconds(30), 50);
        try (Zeroscale zeroscale = Zeroscale.builder().virtualTime(time).openTelemetry(sdk).actuation(twoQuickAttempts)
                .orchestrator("fake", orchestrator).target(spec).build()) {
            zeroscale.start();
            time.runDue();
            orchestrator.setFailing(true);
            zeroscale.trafficHub().report("gw", spec.ref(), new RequestStats(1, 0, 1, 0, 0));
            // Less than the engine's own 1 s pause after a failed write: one scale, two attempts.
            time.advance(Duration.ofMillis(500));

            MetricData errors = metrics.collectAllMetrics().stream()
                    .filter(metric -> metric.getName().equals("zeroscale.orchestrator.errors"))
                    .findFirst()
                    .orElseThrow();
            assertThat(errors.getLongSumData().getPoints()).singleElement().satisfies(point -> {
                assertThat(point.getValue()).as("both attempts of the scale").isEqualTo(2);
                assertThat(point.getAttributes().asMap()).containsEntry(AttributeKey.stringKey("orchestrator"), "fake")
                        .containsEntry(AttributeKey.stringKey("code"), "ORCHESTRATOR_UNAVAILABLE");
            });
        } finally {
            sdk.close();
        }
    }
}
