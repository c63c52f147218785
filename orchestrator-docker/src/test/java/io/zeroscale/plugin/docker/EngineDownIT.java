package io.zeroscale.plugin.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.model.Container;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The engine's API goes away and comes back while containers run: calls fail naming the host,
 * nothing is scaled or forgotten, and the event stream resumes. Runs its own {@code podman system
 * service} on a private socket so the shared one stays up; containers outlive the API service.
 */
class EngineDownIT {
    private static final Duration READY = Duration.ofSeconds(30);

    private Path socket;
    private String host;
    private Process service;
    private DockerOrchestrator orchestrator;
    private Workload workload;

    @BeforeEach
    void startService() throws Exception {
        Podman.require();
        socket = Path.of("/tmp", Podman.uniqueName("zs-engine-down") + ".sock");
        host = "unix://" + socket;
        workload = Podman.httpd(Podman.uniqueName("down"), Map.of());
        service = startPodmanService();
    }

    @AfterEach
    void stopService() throws Exception {
        if (orchestrator != null) {
            orchestrator.close();
        }
        if (service != null) {
            service.destroy();
            service.waitFor(30, TimeUnit.SECONDS);
        }
        Files.deleteIfExists(socket);
        Podman.removeAll(workload.target());
    }

    private Process startPodmanService() throws Exception {
        Process process = new ProcessBuilder("podman", "system", "service", "-t", "0", host)
                .redirectErrorStream(true)
                .redirectOutput(new File("target/" + socket.getFileName() + ".log"))
                .start();
        await("podman service on " + host).atMost(READY).until(() -> Files.exists(socket));
        return process;
    }

    @Test
    void engineDownIsAnErrorNamingTheHostAndTheStateIsKept() throws Exception {
        orchestrator = Podman.orchestrator(Map.of("host", host));
        orchestrator.attach(workload);
        List<WorkloadEvent> events = new CopyOnWriteArrayList<>();
        orchestrator.watch(workload.target(), events::add);
        orchestrator.scale(workload.target(), 2);
        await().atMost(READY).until(() -> orchestrator.observe(workload.target()).readyReplicas() == 2);
        Set<String> ids = ids();
        int heard = events.size();

        service.destroy();
        assertThat(service.waitFor(30, TimeUnit.SECONDS)).isTrue();

        assertThatThrownBy(() -> orchestrator.observe(workload.target()))
                .isInstanceOfSatisfying(ZeroscaleException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(DockerErrorCode.ENGINE_UNAVAILABLE);
                    assertThat(e.getMessage()).contains(host);
                });
        assertThatThrownBy(() -> orchestrator.scale(workload.target(), 0)).hasMessageContaining(host);
        assertThat(ids()).as("containers keep running while the API is down").isEqualTo(ids);

        service = startPodmanService();

        ObservedState back = await("the engine answers again").atMost(READY).ignoreExceptions()
                .until(() -> orchestrator.observe(workload.target()), s -> s.readyReplicas() == 2);
        assertThat(back.replicas()).isEqualTo(2);
        assertThat(ids()).isEqualTo(ids);
        assertThat(events.subList(heard, events.size())).as("events since the engine went down")
                .noneMatch(e -> e instanceof WorkloadEvent.Changed c && c.state().replicas() < 2);

        // The event stream reconnected: a container killed now is reported without polling.
        String victim = ids.iterator().next();
        Podman.client().killContainerCmd(victim).exec();
        await("the death reported through the restored stream").atMost(READY)
                .until(() -> events.stream().anyMatch(e -> e instanceof WorkloadEvent.ReplicaFailed));
    }

    private Set<String> ids() {
        return Podman.containersOf(workload.target()).stream()
                .filter(c -> "running".equals(c.getState()))
                .map(Container::getId)
                .collect(Collectors.toSet());
    }
}
