package io.zeroscale.spi.orchestrator;

import static java.util.Objects.requireNonNull;

import java.util.List;

/** What an orchestrator pushes about a watched workload. */
public sealed interface WorkloadEvent {
    /** The workload's observed state changed (replicas, readiness or endpoints). */
    record Changed(ObservedState state) implements WorkloadEvent {
        public Changed {
            requireNonNull(state, "state is null");
        }
    }

    /**
     * A replica failed or was terminated without being asked to (crashed process, died container,
     * failed readiness). The orchestrator follows with a {@link Changed} for the new state.
     */
    record ReplicaFailed(String replica, String reason) implements WorkloadEvent {
        public ReplicaFailed {
            requireNonNull(replica, "replica is null");
            requireNonNull(reason, "reason is null");
        }
    }

    /**
     * The backend is about to remove the replicas serving at {@code endpoints} on its own (a node
     * drain or eviction, an instance's terminate hook, a scale-in the backend chose). The engine
     * drains them (the gateway sends them nothing new and lets their in-flight requests finish,
     * bounded by {@code drain-timeout}) and then, when the orchestrator is {@link Drainable}, calls
     * {@link Drainable#remove} with them, which tells the plugin they may go (e.g. completes the
     * lifecycle hook). The orchestrator follows with a {@link Changed} once they are gone.
     *
     * @param endpoints the replicas' endpoints, as listed in {@link ObservedState#readyEndpoints}
     * @param reason why the backend removes them, for the journal
     */
    record Removing(List<Endpoint> endpoints, String reason) implements WorkloadEvent {
        public Removing {
            endpoints = List.copyOf(requireNonNull(endpoints, "endpoints is null"));
            requireNonNull(reason, "reason is null");
            if (endpoints.isEmpty()) {
                throw new IllegalArgumentException("endpoints is empty: announce at least one replica");
            }
        }
    }
}
