package io.zeroscale.spi.orchestrator;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;

/**
 * What an orchestrator saw of a workload at one moment. "Ready" means observed ready (a readiness
 * probe or the backend's own readiness passed), never assumed from a timer.
 *
 * <p>The backend's desired count and the replicas that exist are separate because they differ
 * while the backend works (a Deployment's {@code spec.replicas} is 3 while its pods are still
 * being created). The engine compares only {@code desiredReplicas} with what it asked for, so a
 * status-only change (replicas appearing, becoming ready) never makes it write again. A backend
 * that is its own controller (local processes, Docker containers, where nothing recreates a
 * replica that died) reports what exists as its desired count, so the engine restores a replica
 * that died behind its back.
 *
 * @param desiredReplicas the count the backend is trying to run (its spec, desired capacity)
 * @param replicas replicas that exist or are starting, whatever their readiness
 * @param readyReplicas replicas that are ready to serve
 * @param pausedReplicas replicas that exist but are frozen (see {@link Pausable})
 * @param readyEndpoints addresses of the ready replicas, oldest replica first (the engine drains
 *     from the end of this list when it scales down, see {@link Drainable}); empty when the
 *     backend has none to offer
 * @param observedAt when the observation was made, from the engine's clock
 */
public record ObservedState(
        int desiredReplicas,
        int replicas,
        int readyReplicas,
        int pausedReplicas,
        List<Endpoint> readyEndpoints,
        Instant observedAt) {
    public ObservedState {
        if (desiredReplicas < 0 || replicas < 0 || readyReplicas < 0 || pausedReplicas < 0) {
            throw new IllegalArgumentException("replica counts must not be negative");
        }
        readyEndpoints = List.copyOf(requireNonNull(readyEndpoints, "readyEndpoints is null"));
        requireNonNull(observedAt, "observedAt is null");
    }

    /** A workload with no replicas, none desired. */
    public static ObservedState zero(Instant at) {
        return new ObservedState(0, 0, 0, 0, List.of(), at);
    }

    /** {@code replicas} desired and existing, of which the ones at {@code endpoints} are ready. */
    public static ObservedState ready(int replicas, List<Endpoint> endpoints, Instant at) {
        return new ObservedState(replicas, replicas, endpoints.size(), 0, endpoints, at);
    }

    /** True when the observations differ in anything but their timestamp. */
    public boolean differsFrom(ObservedState other) {
        return desiredReplicas != other.desiredReplicas
                || replicas != other.replicas
                || readyReplicas != other.readyReplicas
                || pausedReplicas != other.pausedReplicas
                || !readyEndpoints.equals(other.readyEndpoints);
    }
}
