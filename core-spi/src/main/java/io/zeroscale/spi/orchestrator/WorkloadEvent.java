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
     * killed for exceeding its memory limit, failed readiness). The orchestrator follows with a
     * {@link Changed} for the new state. The engine counts these in a row, backs restarts off and,
     * after a few, answers held requests with {@code reason} and {@code output}: so the reason
     * should say what happened in a user's words ("exited with status 3 before it was ready",
     * "killed for exceeding its memory limit (OOM)").
     *
     * @param replica which replica, in the backend's words (pid and port, container name)
     * @param reason what happened, on one line
     * @param output the last lines the replica wrote (process log, container logs), oldest first;
     *     empty when the backend has none. At most a few short lines: they end up in answers to
     *     held requests and in the journal.
     */
    record ReplicaFailed(String replica, String reason, List<String> output) implements WorkloadEvent {
        public ReplicaFailed {
            requireNonNull(replica, "replica is null");
            requireNonNull(reason, "reason is null");
            output = List.copyOf(requireNonNull(output, "output is null"));
        }

        /** A failure without any output of the replica's. */
        public ReplicaFailed(String replica, String reason) {
            this(replica, reason, List.of());
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

    /**
     * The orchestrator started a replica, and says from which tier: how much of it already existed.
     * A wake from a tier that keeps more (a stopped container: a start, no create) is faster, so
     * the engine journals this to explain a wake's time. Informational: the engine decides nothing
     * on it, and an orchestrator that sends none is fine. The orchestrator follows with a {@link
     * Changed} once the replica is ready. Sent from the orchestrator's own thread, in order with the
     * target's other events.
     *
     * @param replica which replica, in the backend's words (container name)
     * @param tier where it came from, one word, e.g. {@code created} (made new: create and start) or
     *     {@code stopped} (kept stopped after an earlier scale-down: a start only)
     */
    record ReplicaStarted(String replica, String tier) implements WorkloadEvent {
        public ReplicaStarted {
            requireNonNull(replica, "replica is null");
            requireNonNull(tier, "tier is null");
            if (tier.isBlank()) {
                throw new IllegalArgumentException("tier is blank: name where the replica came from, e.g. stopped");
            }
        }
    }
}
