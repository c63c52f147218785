package io.zeroscale.engine;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.metrics.SignalValue;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.spi.traffic.Routing;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A consistent snapshot of one target, safe to read from any thread (REST API, dashboard).
 *
 * @param name the target's name in config
 * @param ref the workload
 * @param started false until the workload was observed once
 * @param state the automaton's state
 * @param desiredReplicas replicas the engine wants
 * @param backendDesiredReplicas the count the backend is trying to run, as the orchestrator reported it
 * @param observedReplicas replicas that exist or are starting, as the orchestrator reported them
 * @param readyReplicas ready replicas the orchestrator reported
 * @param observationStale true when the latest observation failed
 * @param routing the gateway's routing
 * @param automationPaused true while an operator paused the automaton
 * @param overrideReplicas a manual override in force, or null
 * @param overrideUntil when the override expires, or null
 * @param signals every signal's newest value
 * @param requests the gateway's counters
 * @param lastReason the reason of the last decision
 * @param updatedAt when this snapshot was taken
 * @param startFailures the current crash-loop streak and its backoff, or null when no replica failed
 *     since one last became ready
 */
public record TargetStatus(
        String name,
        TargetRef ref,
        boolean started,
        String state,
        int desiredReplicas,
        int backendDesiredReplicas,
        int observedReplicas,
        int readyReplicas,
        boolean observationStale,
        Routing routing,
        boolean automationPaused,
        @Nullable Integer overrideReplicas,
        @Nullable Instant overrideUntil,
        Map<String, SignalValue> signals,
        RequestStats requests,
        String lastReason,
        Instant updatedAt,
        @Nullable FailureStreak startFailures) {
    public TargetStatus {
        requireNonNull(name, "name is null");
        requireNonNull(ref, "ref is null");
        requireNonNull(state, "state is null");
        requireNonNull(routing, "routing is null");
        // The engine's own snapshot is immutable already and computes its reserved signals when read.
        signals = requireNonNull(signals, "signals is null") instanceof StatusSignals ? signals : Map.copyOf(signals);
        requireNonNull(requests, "requests is null");
        requireNonNull(lastReason, "lastReason is null");
        requireNonNull(updatedAt, "updatedAt is null");
    }
}
