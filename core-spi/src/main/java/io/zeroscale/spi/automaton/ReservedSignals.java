package io.zeroscale.spi.automaton;

import java.util.Set;

/**
 * The signal names every target has without configuring them: the engine serves them from the
 * gateway's counters for the target (see {@link TargetContext#signal(String)} and {@link
 * TargetContext#requests()}). A policy may not define a signal with one of these names. Constants
 * only; safe from any thread.
 */
public final class ReservedSignals {
    /** Requests forwarded to a replica and not answered yet. */
    public static final String INFLIGHT = "inflight";

    /** Requests held by the gateway while the target has no ready replica. */
    public static final String HELD = "held";

    /** Requests arriving per second, over the engine's recent window. */
    public static final String ARRIVAL_RATE = "arrival-rate";

    /** All reserved names. */
    public static final Set<String> ALL = Set.of(INFLIGHT, HELD, ARRIVAL_RATE);

    private ReservedSignals() {}
}
