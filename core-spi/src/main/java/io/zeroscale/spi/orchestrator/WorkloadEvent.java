package io.zeroscale.spi.orchestrator;

import static java.util.Objects.requireNonNull;

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
}
