package io.zeroscale.spi.automaton;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.ObservedState;
import java.util.List;

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

    /** A replica died or failed without being asked to. */
    record ReplicaFailed(String replica, String reason) implements Event {
        public ReplicaFailed {
            requireNonNull(replica, "replica is null");
            requireNonNull(reason, "reason is null");
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
