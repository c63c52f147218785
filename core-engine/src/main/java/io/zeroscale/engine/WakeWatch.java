package io.zeroscale.engine;

import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * Follows one target's wakes through its decisions, whatever its automaton: a wake starts with the
 * decision that asks for replicas where none is ready, coming from zero (or from the first
 * observation of a workload that is starting); it ends well with the first decision that sees a
 * ready replica, and badly with one that goes back to zero or fails the held requests. Used by
 * {@link Alerting} (slow and failed wakes) and {@link WakeTimes} (the durations), so both count
 * the same wakes. Not thread-safe: one target's decisions arrive one at a time.
 */
final class WakeWatch {
    /** What one decision meant for the wake. */
    sealed interface Step {
        /** No wake is going on. */
        record Idle() implements Step {}

        /** This decision started a wake. */
        record Started() implements Step {}

        /** A wake goes on; {@code took} so far. */
        record Waiting(Duration took) implements Step {}

        /** A replica is ready: the wake took {@code took}. */
        record Ready(Duration took) implements Step {}

        /** The wake failed after {@code took}. */
        record Failed(Duration took) implements Step {}
    }

    private @Nullable Instant started;
    private int lastDesired = -1;
    /** Steps without data, shared: {@link #observe} runs on every decision of every target. */
    private static final Step IDLE = new Step.Idle();
    private static final Step STARTED = new Step.Started();

    /**
     * @param desired the replicas the decision asks for
     * @param ready the ready replicas observed
     * @param failedHeld the decision answers the held requests with an error
     */
    Step observe(int desired, int ready, boolean failedHeld, Instant now) {
        int previous = lastDesired;
        lastDesired = desired;
        Instant since = started;
        if (since == null) {
            if (desired > 0 && ready == 0 && previous <= 0) {
                started = now;
                return STARTED;
            }
            return IDLE;
        }
        Duration took = Duration.between(since, now);
        if (ready > 0) {
            started = null;
            return new Step.Ready(took);
        }
        if (desired == 0 || failedHeld) {
            started = null;
            return new Step.Failed(took);
        }
        return new Step.Waiting(took);
    }

    /** When the wake going on started, or null. */
    @Nullable Instant since() {
        return started;
    }
}
