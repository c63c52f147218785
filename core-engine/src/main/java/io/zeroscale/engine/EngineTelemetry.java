package io.zeroscale.engine;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.ObservableLongGauge;
import java.time.Duration;
import java.util.Collection;
import java.util.function.Supplier;

/**
 * The engine's own metrics, through the OpenTelemetry API: whoever embeds the engine decides
 * where they go (the daemon exports them for Prometheus and OTLP; the SDK defaults to no-op).
 */
final class EngineTelemetry implements AutoCloseable {
    private static final AttributeKey<String> TARGET = AttributeKey.stringKey("target");
    private static final AttributeKey<String> STATE = AttributeKey.stringKey("state");
    private static final AttributeKey<String> ORCHESTRATOR = AttributeKey.stringKey("orchestrator");
    private static final AttributeKey<String> OPERATION = AttributeKey.stringKey("operation");
    private static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("outcome");

    private final LongCounter decisions;
    private final LongCounter safetyHolds;
    private final LongCounter actuations;
    private final DoubleHistogram actuationDuration;
    private final ObservableLongGauge desired;
    private final ObservableLongGauge ready;

    EngineTelemetry(OpenTelemetry openTelemetry, Supplier<Collection<TargetStatus>> targets) {
        Meter meter = openTelemetry.getMeter("io.zeroscale.engine");
        decisions = meter.counterBuilder("zeroscale.decisions")
                .setDescription("Decisions that changed a target's state or effect")
                .build();
        safetyHolds = meter.counterBuilder("zeroscale.safety.holds")
                .setDescription("Scale-to-zero decisions the engine refused (unknown data, pending requests)")
                .build();
        actuations = meter.counterBuilder("zeroscale.actuations")
                .setDescription("Orchestrator calls, by outcome")
                .build();
        actuationDuration = meter.histogramBuilder("zeroscale.actuation.duration")
                .setUnit("s")
                .setDescription("Time an orchestrator call took, retries included")
                .build();
        desired = meter.gaugeBuilder("zeroscale.target.replicas.desired").ofLongs()
                .setDescription("Replicas the engine wants")
                .buildWithCallback(measurement -> targets.get().forEach(status ->
                        measurement.record(status.desiredReplicas(), Attributes.of(TARGET, status.name()))));
        ready = meter.gaugeBuilder("zeroscale.target.replicas.ready").ofLongs()
                .setDescription("Ready replicas the orchestrator reported")
                .buildWithCallback(measurement -> targets.get().forEach(status ->
                        measurement.record(status.readyReplicas(), Attributes.of(TARGET, status.name()))));
    }

    void decision(String target, String state) {
        decisions.add(1, Attributes.of(TARGET, target, STATE, state));
    }

    void safetyHold(String target) {
        safetyHolds.add(1, Attributes.of(TARGET, target));
    }

    void actuation(String orchestrator, String operation, boolean success, Duration took) {
        Attributes attributes = Attributes.of(ORCHESTRATOR, orchestrator, OPERATION, operation, OUTCOME, success ? "success" : "failure");
        actuations.add(1, attributes);
        actuationDuration.record(took.toNanos() / 1e9, attributes);
    }

    @Override
    public void close() {
        desired.close();
        ready.close();
    }
}
