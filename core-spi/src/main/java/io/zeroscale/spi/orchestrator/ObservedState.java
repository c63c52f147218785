package io.zeroscale.spi.orchestrator;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;

/**
 * What an orchestrator saw of a workload at one moment. "Ready" means observed ready (a readiness
 * probe or the backend's own readiness passed), never assumed from a timer.
 *
 * @param replicas replicas that exist or are starting (the backend's current scale)
 * @param readyReplicas replicas that are ready to serve
 * @param pausedReplicas replicas that exist but are frozen (see {@link Pausable})
 * @param readyEndpoints addresses of the ready replicas, empty when the backend has none to offer
 * @param observedAt when the observation was made, from the engine's clock
 */
public record ObservedState(
        int replicas, int readyReplicas, int pausedReplicas, List<Endpoint> readyEndpoints, Instant observedAt) {
    public ObservedState {
        if (replicas < 0 || readyReplicas < 0 || pausedReplicas < 0) {
            throw new IllegalArgumentException("replica counts must not be negative");
        }
        readyEndpoints = List.copyOf(requireNonNull(readyEndpoints, "readyEndpoints is null"));
        requireNonNull(observedAt, "observedAt is null");
    }

    /** A workload with no replicas. */
    public static ObservedState zero(Instant at) {
        return new ObservedState(0, 0, 0, List.of(), at);
    }

    /** {@code ready} replicas, all serving at {@code endpoints}. */
    public static ObservedState ready(int replicas, List<Endpoint> endpoints, Instant at) {
        return new ObservedState(replicas, endpoints.size(), 0, endpoints, at);
    }

    /** True when the observations differ in anything but their timestamp. */
    public boolean differsFrom(ObservedState other) {
        return replicas != other.replicas
                || readyReplicas != other.readyReplicas
                || pausedReplicas != other.pausedReplicas
                || !readyEndpoints.equals(other.readyEndpoints);
    }
}
