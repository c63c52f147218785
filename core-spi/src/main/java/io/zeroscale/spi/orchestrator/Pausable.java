package io.zeroscale.spi.orchestrator;

import io.zeroscale.spi.TargetRef;

/**
 * Capability: freeze a workload's replicas without releasing them (Docker pause, a hibernated warm
 * pool instance), so waking takes milliseconds instead of a cold start. Both calls are idempotent.
 *
 * <p>A {@code scale} to 0 of a paused workload releases its paused replicas as they are and ends
 * the pause: the engine does not resume them first (that would start them only to stop them).
 */
public interface Pausable {
    /** Freezes every replica of {@code target}; they stop serving but keep their memory. */
    void pause(TargetRef target);

    /** Unfreezes every paused replica; readiness is reported as usual once they serve again. */
    void resume(TargetRef target);
}
