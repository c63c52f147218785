package io.zeroscale.spi.orchestrator;

import io.zeroscale.spi.TargetRef;

/** Capability: change the resources of a workload's replicas (live where the backend can). */
public interface Resizable {
    /**
     * Applies {@code profile} to every replica of {@code target}. Idempotent. A profile the backend
     * cannot apply is refused before any replica changes, with {@link
     * io.zeroscale.spi.StandardErrorCode#CONFIG_INVALID} naming the field (e.g. {@code memory}).
     */
    void resize(TargetRef target, ResourceProfile profile);
}
