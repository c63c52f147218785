package io.zeroscale.plugin.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Workload;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * Containers someone else runs (here started by Testcontainers, as compose would start a service)
 * are adopted by their label: their published ports become endpoints, scaling stops and starts
 * them, and they are never removed.
 */
class AdoptLabelIT {
    private static final Duration READY = Duration.ofSeconds(30);

    private final String service = Podman.uniqueName("svc");
    private GenericContainer<?> first;
    private GenericContainer<?> second;
    private DockerOrchestrator orchestrator;

    @BeforeEach
    void startServiceContainers() {
        Podman.require();
        first = serviceContainer();
        second = serviceContainer();
        first.start();
        second.start();
    }

    @SuppressWarnings("resource")
    private GenericContainer<?> serviceContainer() {
        return new GenericContainer<>(DockerImageName.parse(Podman.IMAGE))
                .withCommand(Podman.HTTPD.toArray(String[]::new))
                .withLabel("com.docker.compose.service", service)
                .withExposedPorts(80);
    }

    @AfterEach
    void stop() {
        if (orchestrator != null) {
            orchestrator.close();
        }
        first.stop();
        second.stop();
    }

    @Test
    void existingContainersAreAdoptedByLabelAndNeverRemoved() {
        orchestrator = Podman.orchestrator(Map.of());
        TargetRef target = TargetRef.of("docker", "ContainerGroup", service);
        orchestrator.attach(new Workload(target, Config.of("targets.web.workload", Map.of(
                "adopt-label", "com.docker.compose.service=" + service,
                "port", 80,
                "stop-grace", "1s"))));

        ObservedState adopted = await().atMost(READY)
                .until(() -> orchestrator.observe(target), s -> s.readyReplicas() == 2);
        assertThat(adopted.readyEndpoints()).containsExactlyInAnyOrder(
                new Endpoint(first.getHost(), first.getMappedPort(80)),
                new Endpoint(second.getHost(), second.getMappedPort(80)));

        orchestrator.scale(target, 1);
        await().atMost(READY).until(() -> running(first) + running(second) == 1);
        assertThat(exists(first) && exists(second)).as("adopted containers are stopped, not removed").isTrue();
        assertThat(orchestrator.observe(target).replicas()).isEqualTo(1);

        orchestrator.scale(target, 2);
        await().atMost(READY).until(() -> orchestrator.observe(target), s -> s.readyReplicas() == 2);
        assertThat(running(first) + running(second)).isEqualTo(2);
    }

    private static int running(GenericContainer<?> container) {
        Boolean running = Podman.client().inspectContainerCmd(container.getContainerId()).exec().getState().getRunning();
        return Boolean.TRUE.equals(running) ? 1 : 0;
    }

    private static boolean exists(GenericContainer<?> container) {
        return !Podman.client().listContainersCmd().withShowAll(true)
                .withIdFilter(List.of(container.getContainerId())).exec().isEmpty();
    }
}
