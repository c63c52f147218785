package io.zeroscale.plugin.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Frame;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.ResourceProfile;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The orchestrator against the real engine: Podman's Docker API on its unix socket. */
class DockerOrchestratorIT {
    private static final Duration READY = Duration.ofSeconds(30);

    private final List<DockerOrchestrator> opened = new ArrayList<>();
    private final List<WorkloadEvent> events = new CopyOnWriteArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private Workload workload;

    @BeforeEach
    void engine() {
        Podman.require();
        workload = Podman.httpd(Podman.uniqueName("it"), Map.of());
    }

    @AfterEach
    void cleanUp() {
        opened.forEach(DockerOrchestrator::close);
        Podman.removeAll(target());
        http.close();
    }

    private TargetRef target() {
        return workload.target();
    }

    private DockerOrchestrator attached() {
        DockerOrchestrator orchestrator = Podman.orchestrator(Map.of());
        opened.add(orchestrator);
        orchestrator.attach(workload);
        return orchestrator;
    }

    private ObservedState lastChanged() {
        for (int i = events.size() - 1; i >= 0; i--) {
            if (events.get(i) instanceof WorkloadEvent.Changed changed) {
                return changed.state();
            }
        }
        return null;
    }

    private ObservedState awaitPushed(String what, java.util.function.Predicate<ObservedState> condition) {
        return await(what).atMost(READY).pollInterval(Duration.ofMillis(20))
                .until(this::lastChanged, s -> s != null && condition.test(s));
    }

    private int get(Endpoint endpoint) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + endpoint + "/")).timeout(Duration.ofSeconds(5))
                .build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void zeroToThreeToZeroWithReadinessPushedFromTheEventStream() throws Exception {
        // Polling is set to an hour: every change below must come from the event stream.
        DockerOrchestrator orchestrator = attached();
        orchestrator.watch(target(), events::add);
        awaitPushed("the current state first", s -> s.replicas() == 0);

        orchestrator.scale(target(), 3);
        ObservedState three = awaitPushed("three ready endpoints", s -> s.readyEndpoints().size() == 3);

        assertThat(three.replicas()).isEqualTo(3);
        assertThat(Podman.containersOf(target())).hasSize(3)
                .allSatisfy(c -> assertThat(c.getState()).isEqualTo("running"));
        for (Endpoint endpoint : three.readyEndpoints()) {
            assertThat(endpoint.host()).isEqualTo("127.0.0.1");
            assertThat(get(endpoint)).isEqualTo(200);
        }

        orchestrator.scale(target(), 0);
        awaitPushed("no replicas", s -> s.replicas() == 0 && s.readyEndpoints().isEmpty());
        await("containers removed").atMost(READY).until(() -> Podman.containersOf(target()).isEmpty());
        assertThat(events).noneMatch(e -> e instanceof WorkloadEvent.ReplicaFailed);
    }

    @Test
    void aRestartAdoptsTheGroupWithoutDuplicates() {
        DockerOrchestrator first = attached();
        first.scale(target(), 2);
        await().atMost(READY).until(() -> first.observe(target()).readyReplicas() == 2);
        Set<String> ids = ids();
        first.close();
        assertThat(ids()).as("closing leaves the containers").isEqualTo(ids);

        DockerOrchestrator second = attached();
        ObservedState adopted = second.observe(target());
        assertThat(adopted.replicas()).isEqualTo(2);
        assertThat(adopted.readyReplicas()).isEqualTo(2);
        second.scale(target(), 2);
        assertThat(ids()).as("the same containers, none added").isEqualTo(ids);

        second.scale(target(), 3);
        assertThat(ids()).hasSize(3).containsAll(ids);
    }

    @Test
    void aContainerThatDiesIsReportedAndReplacedWhenScaledAgain() {
        DockerOrchestrator orchestrator = attached();
        orchestrator.watch(target(), events::add);
        orchestrator.scale(target(), 1);
        awaitPushed("one ready", s -> s.readyReplicas() == 1);
        Container victim = Podman.containersOf(target()).get(0);

        Podman.client().killContainerCmd(victim.getId()).exec();

        WorkloadEvent failed = await("a ReplicaFailed event").atMost(READY)
                .until(() -> events.stream().filter(e -> e instanceof WorkloadEvent.ReplicaFailed).findFirst()
                        .orElse(null), e -> e != null);
        assertThat(((WorkloadEvent.ReplicaFailed) failed).replica()).isEqualTo(victim.getNames()[0].replaceFirst("^/", ""));
        assertThat(((WorkloadEvent.ReplicaFailed) failed).reason()).contains("137");
        // The engine restarts it (after its crash-loop backoff) by scaling again.
        orchestrator.scale(target(), 1);
        awaitPushed("a replacement ready", s -> s.readyReplicas() == 1);
        await("the dead one removed, one replacement running").atMost(READY).until(() -> {
            List<Container> now = Podman.containersOf(target());
            return now.size() == 1 && !now.get(0).getId().equals(victim.getId());
        });
    }

    @Test
    void pausedContainersStopServingAndResumeServingTheSameContainer() throws Exception {
        DockerOrchestrator orchestrator = attached();
        orchestrator.watch(target(), events::add);
        orchestrator.scale(target(), 1);
        Endpoint endpoint = awaitPushed("one ready", s -> s.readyReplicas() == 1).readyEndpoints().get(0);

        orchestrator.pause(target());
        ObservedState paused = awaitPushed("paused", s -> s.pausedReplicas() == 1);
        assertThat(paused.readyReplicas()).isZero();
        assertThat(Podman.containersOf(target())).singleElement()
                .satisfies(c -> assertThat(c.getState()).isEqualTo("paused"));

        orchestrator.resume(target());
        ObservedState resumed = awaitPushed("ready again", s -> s.readyReplicas() == 1 && s.pausedReplicas() == 0);
        assertThat(resumed.readyEndpoints()).containsExactly(endpoint);
        assertThat(get(endpoint)).isEqualTo(200);
    }

    @Test
    void resizeChangesTheLimitsOfRunningContainers() throws Exception {
        workload = Podman.httpd(Podman.uniqueName("it"), Map.of("memory", "64m", "cpus", 0.5));
        DockerOrchestrator orchestrator = attached();
        orchestrator.scale(target(), 1);
        await().atMost(READY).until(() -> orchestrator.observe(target()).readyReplicas() == 1);
        String id = Podman.containersOf(target()).get(0).getId();
        assertThat(cat(id, "/sys/fs/cgroup/memory/memory.limit_in_bytes")).isEqualTo(String.valueOf(64L << 20));

        orchestrator.resize(target(), new ResourceProfile("large", 1.5, 128L << 20, null));

        assertThat(cat(id, "/sys/fs/cgroup/memory/memory.limit_in_bytes")).isEqualTo(String.valueOf(128L << 20));
        assertThat(cat(id, "/sys/fs/cgroup/cpu/cpu.cfs_quota_us")).isEqualTo("150000");
        assertThat(Podman.containersOf(target())).extracting(Container::getId).containsExactly(id);
    }

    @Test
    void removeStopsExactlyTheDrainedContainer() {
        DockerOrchestrator orchestrator = attached();
        orchestrator.scale(target(), 2);
        List<Endpoint> endpoints = await().atMost(READY)
                .until(() -> orchestrator.observe(target()), s -> s.readyReplicas() == 2).readyEndpoints();

        orchestrator.remove(target(), List.of(endpoints.get(0)));

        await().atMost(READY).until(() -> Podman.containersOf(target()).size() == 1);
        assertThat(orchestrator.observe(target()).readyEndpoints()).containsExactly(endpoints.get(1));
    }

    @Test
    void aMissingSocketIsAClearErrorNamingTheHost() {
        DockerOrchestrator orchestrator = Podman.orchestrator(Map.of("host", "unix:///run/nothing-here/docker.sock"));
        opened.add(orchestrator);
        orchestrator.attach(workload);

        assertThatThrownBy(() -> orchestrator.observe(target()))
                .isInstanceOfSatisfying(ZeroscaleException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(DockerErrorCode.ENGINE_UNAVAILABLE);
                    assertThat(e.getMessage()).contains("unix:///run/nothing-here/docker.sock")
                            .contains("does not exist").contains("podman system service");
                });
        assertThatThrownBy(() -> orchestrator.scale(target(), 1)).hasMessageContaining("nothing-here");
    }

    private Set<String> ids() {
        return Podman.containersOf(target()).stream().map(Container::getId).collect(Collectors.toSet());
    }

    private static String cat(String id, String path) throws Exception {
        String exec = Podman.client().execCreateCmd(id).withCmd("cat", path).withAttachStdout(true).exec().getId();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Podman.client().execStartCmd(exec).exec(new ResultCallback.Adapter<Frame>() {
            @Override
            public void onNext(Frame frame) {
                out.writeBytes(frame.getPayload());
            }
        }).awaitCompletion(10, TimeUnit.SECONDS);
        return out.toString(StandardCharsets.UTF_8).strip();
    }
}
