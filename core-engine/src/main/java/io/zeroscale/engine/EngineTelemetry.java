package io.zeroscale.engine;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.ObservableLongGauge;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
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
    private static final AttributeKey<String> CODE = AttributeKey.stringKey("code");

    /**
     * Boundaries of {@code zeroscale.actuation.duration}, in seconds: from a quick API call (5 ms)
     * to a slow cloud scale-up with retries (a minute).
     */
    static final List<Double> ACTUATION_BUCKETS =
            List.of(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0);

    private final LongCounter decisions;
    private final LongCounter safetyHolds;
    private final LongCounter actuations;
    private final LongCounter orchestratorErrors;
    private final DoubleHistogram actuationDuration;
    private final ObservableLongGauge desired;
    private final ObservableLongGauge ready;
    private final Tracer tracer;

    EngineTelemetry(OpenTelemetry openTelemetry, Supplier<Collection<TargetStatus>> targets) {
        Meter meter = openTelemetry.getMeter("io.zeroscale.engine");
        tracer = openTelemetry.getTracer("io.zeroscale.engine");
        decisions = meter.counterBuilder("zeroscale.decisions")
                .setDescription("Decisions that changed a target's state or effect")
                .build();
        safetyHolds = meter.counterBuilder("zeroscale.safety.holds")
                .setDescription("Scale-to-zero decisions the engine refused (unknown data, pending requests)")
                .build();
        actuations = meter.counterBuilder("zeroscale.actuations")
                .setDescription("Orchestrator calls, by outcome")
                .build();
        orchestratorErrors = meter.counterBuilder("zeroscale.orchestrator.errors")
                .setDescription("Failed attempts of orchestrator calls (each retry counts), by error code, e.g. THROTTLED")
                .build();
        actuationDuration = meter.histogramBuilder("zeroscale.actuation.duration")
                .setUnit("s")
                .setDescription("Time an orchestrator call took, retries included")
                // In seconds: the SDK's default boundaries (0 .. 10000) are sized for milliseconds and
                // would put nearly every call into the first few buckets.
                .setExplicitBucketBoundariesAdvice(ACTUATION_BUCKETS)
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

    /** A decision that changed the target's state or effect: counted, and recorded as a span. */
    void decision(String target, String fromState, String state, int replicas, String reason) {
        decisions.add(1, Attributes.of(TARGET, target, STATE, state));
        tracer.spanBuilder("zeroscale.decision")
                .setAttribute(TARGET, target)
                .setAttribute("zeroscale.state.from", fromState)
                .setAttribute(STATE, state)
                .setAttribute("zeroscale.replicas", replicas)
                .setAttribute("zeroscale.reason", reason)
                .startSpan()
                .end();
    }

    /** A span around one orchestrator call; end it with {@link #endActuation}. */
    Span startActuation(String target, String orchestrator, String operation, int replicas) {
        return tracer.spanBuilder("zeroscale.actuation " + operation)
                .setAttribute(TARGET, target)
                .setAttribute(ORCHESTRATOR, orchestrator)
                .setAttribute(OPERATION, operation)
                .setAttribute("zeroscale.replicas", replicas)
                .startSpan();
    }

    void endActuation(Span span, @org.jspecify.annotations.Nullable Throwable error) {
        if (error != null) {
            span.recordException(error);
            span.setStatus(StatusCode.ERROR, String.valueOf(error.getMessage()));
        }
        span.end();
    }

    void safetyHold(String target) {
        safetyHolds.add(1, Attributes.of(TARGET, target));
    }

    void actuation(String orchestrator, String operation, boolean success, Duration took) {
        Attributes attributes = Attributes.of(ORCHESTRATOR, orchestrator, OPERATION, operation, OUTCOME, success ? "success" : "failure");
        actuations.add(1, attributes);
        actuationDuration.record(took.toNanos() / 1e9, attributes);
    }

    /** One failed attempt of an orchestrator call, retried or not, by its error code. */
    void orchestratorError(String orchestrator, String code) {
        orchestratorErrors.add(1, Attributes.of(ORCHESTRATOR, orchestrator, CODE, code));
    }

    @Override
    public void close() {
        desired.close();
        ready.close();
    }
}
