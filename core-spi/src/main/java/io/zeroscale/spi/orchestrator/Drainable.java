package io.zeroscale.spi.orchestrator;

import io.zeroscale.spi.TargetRef;
import java.util.List;

/**
 * Capability: scale down by removing the specific replicas the gateway has drained, instead of
 * letting the backend pick (lifecycle hooks, pod deletion cost, stopping named containers).
 */
public interface Drainable {
    /**
     * Removes the replicas serving at {@code drained}, which no longer receive requests. Idempotent:
     * endpoints that are already gone are ignored.
     */
    void remove(TargetRef target, List<Endpoint> drained);
}
