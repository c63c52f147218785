package io.zeroscale.spi.orchestrator;

import io.zeroscale.spi.TargetRef;
import java.util.List;

/**
 * Capability: scale down by removing the specific replicas the gateway has drained, instead of
 * letting the backend pick (lifecycle hooks, pod deletion cost, stopping named processes or
 * containers).
 *
 * <p>How the engine uses it: when a decision lowers a target from N to M &gt; 0 replicas, the
 * engine picks the replicas to remove, the newest first (the last {@code N - M} of {@link
 * ObservedState#readyEndpoints}, which lists the oldest first; replicas that are still starting
 * serve nothing and are left to the following {@link Orchestrator#scale}). The gateway drains them
 * (no new requests, in-flight ones finish, bounded by {@code drain-timeout}); then the engine calls
 * {@link #remove} with exactly those endpoints, and then {@code scale(M)}, which writes nothing when
 * {@code remove} already brought the desired count to M. The same {@code remove} follows the drain
 * of replicas the backend announced with {@link WorkloadEvent.Removing}. Without this capability
 * the engine scales to M directly and the backend picks (and the gateway learns of the removal only
 * from the next observation).
 */
public interface Drainable {
    /**
     * Removes the replicas serving at {@code drained}, which no longer receive requests, and lowers
     * the backend's desired count by the number removed, so that a following {@code scale} to the
     * new count writes nothing. Returns once the backend accepted the removal (processes signalled,
     * containers told to stop), not when they are gone.
     *
     * <p>Called by the engine from a virtual thread, in the target's call queue (see {@link
     * Orchestrator}). Idempotent: endpoints that are already gone, or that are not this target's,
     * are ignored, and calling it again with the same endpoints changes nothing.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code ORCHESTRATOR_UNAVAILABLE} when the backend
     *     cannot be reached; the engine retries the drained replicas' removal with a later decision
     */
    void remove(TargetRef target, List<Endpoint> drained);
}
