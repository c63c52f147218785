package io.zeroscale.spi.orchestrator;

import io.zeroscale.spi.TargetRef;

/**
 * Capability: the one write a follower (see {@link io.zeroscale.spi.Leadership}) may make, so a
 * request held by any daemon replica wakes its target without waiting for an election. Sets
 * {@code replicas = max(current, 1)} in one conditional step on the backend (a compare-and-set, a
 * resource-version precondition, or a lock the backend owns), so it can never lower a count or
 * undo a decision the leader made meanwhile.
 *
 * <p>Called by the engine from a virtual thread, in the target's call queue like every other call
 * (see {@link Orchestrator}). Idempotent: calling it again, or from several daemons at once, leaves
 * at least one replica and never more than one added by these calls.
 */
public interface ConditionalWake {
    /**
     * Starts one replica of {@code target} if it has none (existing or starting); otherwise
     * changes nothing.
     *
     * @return true when this call started a replica, false when one was already there
     * @throws io.zeroscale.spi.ZeroscaleException {@code ORCHESTRATOR_UNAVAILABLE} when the backend
     *     cannot be reached; nothing was changed then, or the change is safe to repeat
     */
    boolean wakeIfZero(TargetRef target);
}
