package io.zeroscale.daemon;

import static java.util.Objects.requireNonNull;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporterBuilder;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
import io.opentelemetry.exporter.otlp.metrics.OtlpGrpcMetricExporter;
import io.opentelemetry.exporter.otlp.metrics.OtlpGrpcMetricExporterBuilder;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporterBuilder;
import io.opentelemetry.exporter.prometheus.PrometheusMetricReader;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.SdkMeterProviderBuilder;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SdkTracerProviderBuilder;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.zeroscale.daemon.config.TelemetrySettings;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's own telemetry through the OpenTelemetry SDK: every metric (the engine's, the
 * API's) is readable by Prometheus at the API's {@code /metrics}, and pushed with OTLP together
 * with traces when {@code telemetry.otlp} is set.
 */
public final class DaemonTelemetry implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DaemonTelemetry.class);

    private final OpenTelemetrySdk sdk;
    private final PrometheusMetricReader prometheus;
    private final ExpositionFormats formats = ExpositionFormats.init();

    private DaemonTelemetry(OpenTelemetrySdk sdk, PrometheusMetricReader prometheus) {
        this.sdk = sdk;
        this.prometheus = prometheus;
    }

    /** Builds the SDK; exporters start working at once. */
    public static DaemonTelemetry create(TelemetrySettings settings, String version) {
        requireNonNull(settings, "settings is null");
        Resource resource = Resource.getDefault().merge(Resource.create(Attributes.of(
                AttributeKey.stringKey("service.name"), settings.serviceName(),
                AttributeKey.stringKey("service.version"), version)));
        PrometheusMetricReader prometheus = PrometheusMetricReader.builder().setTargetInfoMetricEnabled(false).build();
        SdkMeterProviderBuilder meters = SdkMeterProvider.builder().setResource(resource).registerMetricReader(prometheus);
        SdkTracerProviderBuilder tracers = SdkTracerProvider.builder().setResource(resource);
        TelemetrySettings.Otlp otlp = settings.otlp();
        if (otlp != null) {
            meters.registerMetricReader(PeriodicMetricReader.builder(metricExporter(otlp)).setInterval(otlp.interval()).build());
            tracers.addSpanProcessor(BatchSpanProcessor.builder(spanExporter(otlp)).build());
            log.atInfo().addKeyValue("endpoint", otlp.endpoint()).addKeyValue("protocol", otlp.grpc() ? "grpc" : "http/protobuf")
                    .log("exporting traces and metrics with OTLP");
        }
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                .setMeterProvider(meters.build())
                .setTracerProvider(tracers.build())
                .build();
        return new DaemonTelemetry(sdk, prometheus);
    }

    private static MetricExporter metricExporter(TelemetrySettings.Otlp otlp) {
        if (otlp.grpc()) {
            OtlpGrpcMetricExporterBuilder builder = OtlpGrpcMetricExporter.builder().setEndpoint(otlp.endpoint());
            otlp.headers().forEach(builder::addHeader);
            return builder.build();
        }
        OtlpHttpMetricExporterBuilder builder = OtlpHttpMetricExporter.builder().setEndpoint(signalUrl(otlp.endpoint(), "metrics"));
        otlp.headers().forEach(builder::addHeader);
        return builder.build();
    }

    private static SpanExporter spanExporter(TelemetrySettings.Otlp otlp) {
        if (otlp.grpc()) {
            OtlpGrpcSpanExporterBuilder builder = OtlpGrpcSpanExporter.builder().setEndpoint(otlp.endpoint());
            otlp.headers().forEach(builder::addHeader);
            return builder.build();
        }
        OtlpHttpSpanExporterBuilder builder = OtlpHttpSpanExporter.builder().setEndpoint(signalUrl(otlp.endpoint(), "traces"));
        otlp.headers().forEach(builder::addHeader);
        return builder.build();
    }

    /** OTLP/HTTP puts each signal under its own path of the collector's base URL. */
    static String signalUrl(String endpoint, String signal) {
        String base = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
        return base + "/v1/" + signal;
    }

    public OpenTelemetry openTelemetry() {
        return sdk;
    }

    /** The exposition format for a scrape with this {@code Accept} header (text when protobuf is not available). */
    public ExpositionFormatWriter writerFor(@Nullable String accept) {
        ExpositionFormatWriter writer = formats.findWriter(accept);
        return writer.isAvailable() ? writer : formats.getPrometheusTextFormatWriter();
    }

    /** Writes every metric in {@code writer}'s format. */
    public void scrape(ExpositionFormatWriter writer, OutputStream out) throws IOException {
        writer.write(out, prometheus.collect());
    }

    /** Flushes and stops the exporters. */
    @Override
    public void close() {
        sdk.shutdown().join(10, TimeUnit.SECONDS);
    }
}
