package io.zeroscale.spi.automaton;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.ObservedState;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Everything that can happen to a target. The engine delivers events to the target's {@link
 * Automaton} one at a time; the values they refer to (signals, request counters, observed state)
 * are already updated in the {@link TargetContext} when the event arrives. Switch over them
 * without a {@code default} so a new kind is a compile error, not a silent no-op.
 */
public sealed interface Event {
    /**
     * The first event, after the engine observed the workload: the automaton picks its initial
     * state from what runs now (so a restart neither flaps nor wakes twice).
     */
    record Start(ObservedState observed) implements Event {
        public Start {
            requireNonNull(observed, "observed is null");
        }
    }

    /** The periodic evaluation tick (every {@code tick}, 1 s by default). */
    record Tick() implements Event {}

    /** A signal has a new value, known or unknown. */
    record SignalChanged(String signal) implements Event {
        public SignalChanged {
            requireNonNull(signal, "signal is null");
        }
    }

    /** The gateway's request counters changed (held, in flight, arrivals). */
    record RequestsChanged() implements Event {}

    /** A new observation differs from the previous one. */
    record ObservedChanged(ObservedState observed) implements Event {
        public ObservedChanged {
            requireNonNull(observed, "observed is null");
        }
    }

    /** The orchestrator could not be read; the last observation is kept, marked stale. */
    record ObservationFailed(String reason) implements Event {
        public ObservationFailed {
            requireNonNull(reason, "reason is null");
        }
    }

    /**
     * A replica died or failed without being asked to. The engine has already counted it: it
     * restarts failed replicas only after an exponential backoff, and once {@code failuresInARow}
     * reaches the policy's {@code start-failures.give-up-after} it answers the held requests with
     * 503 and the reason and refuses new ones until {@code retryAt} ({@code gaveUp}). A policy that
     * wakes from zero should then go back to zero rather than wait for its own wake timeout.
     *
     * @param replica which replica, in the orchestrator's words
     * @param reason what happened, with the replica's last output where the orchestrator had it
     * @param failuresInARow failures since a replica last became ready, this one included
     * @param gaveUp true when the engine gave up on the current wake (see above)
     * @param retryAt when the engine starts a replica again at the earliest, or null when it does
     *     not hold restarts back
     */
    record ReplicaFailed(String replica, String reason, int failuresInARow, boolean gaveUp, @Nullable Instant retryAt)
            implements Event {
        public ReplicaFailed {
            requireNonNull(replica, "replica is null");
            requireNonNull(reason, "reason is null");
            if (failuresInARow < 1) {
                throw new IllegalArgumentException("failuresInARow must be at least 1, got " + failuresInARow);
            }
        }

        /** A first failure, with no backoff: for tests and simulations that feed events by hand. */
        public ReplicaFailed(String replica, String reason) {
            this(replica, reason, 1, false, null);
        }
    }

    /** A timer the automaton set with {@link Timers#set} fired. */
    record TimerFired(String timer) implements Event {
        public TimerFired {
            requireNonNull(timer, "timer is null");
        }
    }

    /** The gateway finished draining these endpoints: no request is in flight on them. */
    record Drained(List<Endpoint> endpoints) implements Event {
        public Drained {
            endpoints = List.copyOf(requireNonNull(endpoints, "endpoints is null"));
        }
    }

    /** Applying the last decision failed after retries (or the circuit breaker is open). */
    record ActuationFailed(String reason) implements Event {
        public ActuationFailed {
            requireNonNull(reason, "reason is null");
        }
    }
}
