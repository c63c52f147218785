package io.zeroscale.plugin.docker;

import io.zeroscale.spi.orchestrator.Endpoint;

/** Our own readiness check of a published port, for containers whose healthcheck says nothing. */
@FunctionalInterface
interface Probe {
    /** True when {@code endpoint} passes {@code readiness} now; never throws, blocks at most its timeout. */
    boolean ready(Endpoint endpoint, GroupSpec.Readiness readiness);
}
