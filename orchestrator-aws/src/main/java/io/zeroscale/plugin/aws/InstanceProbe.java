package io.zeroscale.plugin.aws;

import io.zeroscale.plugin.support.EndpointProbe;
import io.zeroscale.spi.orchestrator.Endpoint;

/**
 * Checks whether an InService instance answers its group's readiness probe. Blocking; called from
 * the blocking executor, several at once. Production probes the instance's private address with
 * {@link EndpointProbe}; a test whose emulator hands out addresses where nothing listens maps them
 * to loopback backends first (the reachability seam).
 */
@FunctionalInterface
interface InstanceProbe {
    /** True when {@code endpoint} passes {@code readiness}; a replica that is down is false, never an exception. */
    boolean ready(Endpoint endpoint, GroupSettings.Readiness readiness);

    /** The probe of {@code probe}'s HTTP GET on the endpoint itself. */
    static InstanceProbe http(EndpointProbe probe) {
        return (endpoint, readiness) -> probe.http(endpoint.host(), endpoint.port(), readiness.path(), readiness.timeout()).ready();
    }
}
