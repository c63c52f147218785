package io.zeroscale.spi.automaton;

import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.metrics.SignalValue;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.traffic.RequestStats;
import java.time.Instant;
import java.util.Map;

/**
 * What an automaton sees of its target while it handles an event. Implemented by the engine; valid
 * only during the {@link Automaton#onEvent} call it was passed to.
 */
public interface TargetContext {
    TargetRef target();

    /** The current time (virtual in tests and simulations). */
    Instant now();

    /** The newest successful observation (possibly stale if the latest one failed). */
    ObservedState observed();

    /** True when the latest observation failed; {@link #observed()} is then the one before. */
    boolean observationStale();

    /**
     * The newest value of {@code signal}; unknown until the first value arrives. The reserved names
     * {@code inflight}, {@code held} and {@code arrival-rate} read the gateway's counters for this
     * target (see {@link #requests()}), so policies can track them like any other signal.
     */
    SignalValue signal(String signal);

    /** Every configured signal's newest value. */
    Map<String, SignalValue> signals();

    /** The gateway's newest request counters for this target. */
    RequestStats requests();

    /** Arrivals per second over the last minute, from the gateway's counters. */
    double arrivalRate();

    /** The replicas of the last applied decision. */
    int desiredReplicas();

    Timers timers();
}
