package io.zeroscale.plugin.docker;

import io.zeroscale.plugin.support.EndpointProbe;
import io.zeroscale.spi.orchestrator.Endpoint;
import java.util.concurrent.Executor;

/** The group's readiness setting applied with plugin-support's {@link EndpointProbe}. */
final class NetworkProbe implements Probe, AutoCloseable {
    private final EndpointProbe probe;

    NetworkProbe(Executor executor) {
        this.probe = new EndpointProbe(executor);
    }

    @Override
    public boolean ready(Endpoint endpoint, GroupSpec.Readiness readiness) {
        return switch (readiness.kind()) {
            case NONE -> true;
            case TCP -> probe.tcp(endpoint.host(), endpoint.port(), readiness.timeout()).ready();
            // Connect first: a host that drops SYNs fails within the timeout, not the HTTP client's.
            case HTTP -> probe.tcp(endpoint.host(), endpoint.port(), readiness.timeout()).ready()
                    && probe.http(endpoint.host(), endpoint.port(), readiness.path(), readiness.timeout()).ready();
        };
    }

    @Override
    public void close() {
        probe.close();
    }
}
