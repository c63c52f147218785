package io.zeroscale.plugin.docker;

import static org.awaitility.Awaitility.await;

import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.testkit.EndpointsContract;
import io.zeroscale.testkit.FreePorts;
import java.time.Duration;
import java.util.Map;

/** The shared orchestrator contract, against the real engine (Podman's Docker API). */
class DockerOrchestratorContractIT extends EndpointsContract {
    @Override
    protected void setUpBackend() {
        Podman.require();
    }

    @Override
    protected Orchestrator newOrchestrator() {
        return Podman.orchestrator(Map.of());
    }

    @Override
    protected Workload newWorkload() {
        return Podman.httpd(Podman.uniqueName("contract"), Map.of());
    }

    @Override
    protected BadWorkload badWorkload() {
        return new BadWorkload(Podman.httpd(Podman.uniqueName("bad"), Map.of("memory", "2m")), "memory");
    }

    /** A TCP host where nothing listens: the outage, without touching the engine other tests share. */
    @Override
    protected Orchestrator newOrchestratorWithBackendDown() {
        return Podman.orchestrator(Map.of("host", "tcp://127.0.0.1:" + FreePorts.next(), "timeout", "2s"));
    }

    @Override
    protected Duration readinessTimeout() {
        return Duration.ofSeconds(30);
    }

    @Override
    protected void tearDownBackend() {
        try {
            // Scale-down stops in the background; the containers must be gone, not just unlisted.
            await("containers of " + target() + " removed")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> Podman.containersOf(target()).isEmpty());
        } finally {
            Podman.removeAll(target());
        }
    }
}
