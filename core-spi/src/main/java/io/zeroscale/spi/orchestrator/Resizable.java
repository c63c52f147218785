package io.zeroscale.spi.orchestrator;

import io.zeroscale.spi.TargetRef;

/** Capability: change the resources of a workload's replicas (live where the backend can). */
public interface Resizable {
    /** Applies {@code profile} to every replica of {@code target}. Idempotent. */
    void resize(TargetRef target, ResourceProfile profile);
}
