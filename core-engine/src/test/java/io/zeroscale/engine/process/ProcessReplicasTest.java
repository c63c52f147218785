package io.zeroscale.engine.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import io.zeroscale.testkit.FreePorts;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real child processes driven through the process orchestrator, beyond the shared contract. */
class ProcessReplicasTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path dataDirectory;

    private ProcessFixture fixture;
    private ProcessOrchestrator orchestrator;
    private HttpClient http;
    private final List<WorkloadEvent> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        fixture = new ProcessFixture(dataDirectory);
        orchestrator = fixture.newOrchestrator();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterEach
    void tearDown() {
        http.close();
        fixture.close();
    }

    @Test
    void slowStartingReplicasGetEndpointsOnlyOnceTheyServe() throws Exception {
        Map<String, Object> settings = fixture.backendSettings();
        settings.put("env", Map.of("START_DELAY_MS", "2000"));
        TargetRef target = attach("slow", settings);
        Subscription watch = orchestrator.watch(target, events::add);

        orchestrator.scale(target, 2);

        ObservedState starting = orchestrator.observe(target);
        assertThat(starting.replicas()).as("replicas right after scaling to 2").isEqualTo(2);
        assertThat(starting.readyEndpoints()).as("endpoints while the replicas are still loading").isEmpty();
        ObservedState ready = awaitChanged("two ready endpoints", s -> s.readyEndpoints().size() == 2);
        assertThat(changedStates())
                .as("states pushed before both replicas were ready")
                .anyMatch(s -> s.replicas() == 2 && s.readyReplicas() == 0);
        for (Endpoint endpoint : ready.readyEndpoints()) {
            assertThat(get(endpoint)).isEqualTo("hello from " + endpoint.port());
        }

        orchestrator.scale(target, 0);

        awaitChanged("no replicas", s -> s.replicas() == 0 && s.readyEndpoints().isEmpty());
        fixture.assertNoBackendLeft();
        watch.close();
    }

    @Test
    void aReplicaGetsItsPortInPortAndInPlaceholdersAndItsEnvironment() throws Exception {
        int port = FreePorts.nextRange(1);
        Map<String, Object> settings = fixture.backendSettings();
        settings.put("command", fixture.backendCommand("replica-{port}"));
        settings.put("env", Map.of("GREETING", "hi-{port}"));
        settings.put("ports", Map.of("from", port, "to", port));
        TargetRef target = attach("ported", settings);

        orchestrator.scale(target, 1);

        ObservedState ready = awaitObserved(target, s -> s.readyReplicas() == 1);
        assertThat(ready.readyEndpoints()).containsExactly(new Endpoint("127.0.0.1", port));
        assertThat(get(ready.readyEndpoints().get(0)))
                .isEqualTo("hello from " + port + " replica-" + port + " hi-" + port);
        assertThatThrownBy(() -> orchestrator.scale(target, 2))
                .isInstanceOf(ZeroscaleException.class)
                .hasMessage("local/Process/ported: no free port in targets.ported.workload.ports (" + port + ".."
                        + port + ") for another replica; widen the range or lower the replica maximum");
        assertThat(orchestrator.observe(target).replicas()).as("replicas after the failed scale-up").isEqualTo(1);
    }

    @Test
    void aReplicaThatDiesIsReportedAndNotRestarted() {
        TargetRef target = attach("crashing", fixture.backendSettings());
        orchestrator.watch(target, events::add);
        orchestrator.scale(target, 1);
        Endpoint endpoint = awaitChanged("one ready endpoint", s -> s.readyReplicas() == 1)
                .readyEndpoints()
                .get(0);
        ProcessHandle backend = fixture.backends().get(0);

        backend.destroyForcibly();

        WorkloadEvent.ReplicaFailed failed = await("a ReplicaFailed event")
                .atMost(TIMEOUT)
                .until(() -> events.stream()
                        .filter(WorkloadEvent.ReplicaFailed.class::isInstance)
                        .map(WorkloadEvent.ReplicaFailed.class::cast)
                        .findFirst(), Optional::isPresent)
                .orElseThrow();
        assertThat(failed.replica()).isEqualTo(endpoint + " (pid " + backend.pid() + ")");
        assertThat(failed.reason()).isEqualTo("exited with status 137 (killed by signal 9)");
        int failedAt = events.indexOf(failed);
        await("a Changed without replicas after the ReplicaFailed")
                .atMost(TIMEOUT)
                .until(() -> {
                    List<WorkloadEvent> seen = List.copyOf(events);
                    return seen.subList(failedAt + 1, seen.size()).stream()
                            .anyMatch(event -> event instanceof WorkloadEvent.Changed changed
                                    && changed.state().replicas() == 0);
                });
        assertThat(orchestrator.observe(target).replicas()).as("replicas: nothing restarted").isZero();
        assertThat(fixture.backends()).as("backend processes: nothing restarted").isEmpty();
    }

    @Test
    void aReplicaThatExitsDuringStartIsReportedWithTheLastLinesItPrinted() {
        Map<String, Object> settings = fixture.backendSettings();
        settings.put("command", List.of("sh", "-c", "echo loading /models/m.bin; echo model file missing; exit 3"));
        TargetRef target = attach("exit3", settings);
        orchestrator.watch(target, events::add);

        orchestrator.scale(target, 1);

        WorkloadEvent.ReplicaFailed failed = awaitFailure();
        assertThat(failed.reason()).isEqualTo("exited with status 3 before it was ready");
        assertThat(failed.output()).containsExactly("loading /models/m.bin", "model file missing");

        // The log file is appended to across starts: the next failure quotes only its own run.
        awaitObserved(target, s -> s.replicas() == 0);
        events.clear();
        orchestrator.scale(target, 1);
        WorkloadEvent.ReplicaFailed second = awaitFailure();
        assertThat(second.output()).containsExactly("loading /models/m.bin", "model file missing");
    }

    @Test
    void aReplicaNotReadyWithinStartTimeoutIsReportedAndStopped() {
        Map<String, Object> settings = fixture.backendSettings();
        settings.put("command", List.of("sh", "-c", "echo still loading; exec sleep 60"));
        settings.put("readiness", Map.of("tcp", true, "start-timeout", "300ms"));
        TargetRef target = attach("stuck", settings);
        orchestrator.watch(target, events::add);

        orchestrator.scale(target, 1);

        WorkloadEvent.ReplicaFailed failed = awaitFailure();
        assertThat(failed.reason()).startsWith("was not ready within targets.stuck.workload.readiness.start-timeout 300ms (last probe: ")
                .endsWith("); stopping it");
        assertThat(failed.output()).containsExactly("still loading");
        awaitObserved(target, s -> s.replicas() == 0);
        assertThat(events).filteredOn(WorkloadEvent.ReplicaFailed.class::isInstance).hasSize(1);
    }

    private WorkloadEvent.ReplicaFailed awaitFailure() {
        return await("a ReplicaFailed event")
                .atMost(TIMEOUT)
                .until(() -> events.stream()
                        .filter(WorkloadEvent.ReplicaFailed.class::isInstance)
                        .map(WorkloadEvent.ReplicaFailed.class::cast)
                        .findFirst(), Optional::isPresent)
                .orElseThrow();
    }

    @Test
    void removeStopsExactlyTheDrainedReplica() {
        TargetRef target = attach("drained", fixture.backendSettings());
        orchestrator.scale(target, 2);
        List<Endpoint> endpoints = awaitObserved(target, s -> s.readyReplicas() == 2).readyEndpoints();

        orchestrator.remove(target, List.of(endpoints.get(0), new Endpoint("127.0.0.1", 1)));

        ObservedState after = orchestrator.observe(target);
        assertThat(after.replicas()).isEqualTo(1);
        assertThat(after.readyEndpoints()).containsExactly(endpoints.get(1));
        await("the drained replica's port closes")
                .atMost(TIMEOUT)
                .until(() -> FreePorts.isFree(endpoints.get(0).port()));
        assertThat(fixture.backends()).hasSize(1);
    }

    @Test
    void aReplicaThatIgnoresSigtermIsKilledAfterStopGrace() {
        Map<String, Object> settings = fixture.backendSettings();
        settings.put("env", Map.of("HANG_ON_STOP", "true"));
        settings.put("stop-grace", "500ms");
        TargetRef target = attach("stubborn", settings);
        orchestrator.scale(target, 1);
        awaitObserved(target, s -> s.readyReplicas() == 1);

        orchestrator.scale(target, 0);

        // It hangs on SIGTERM forever, so only the SIGKILL after stop-grace can end it.
        fixture.assertNoBackendLeft();
    }

    @Test
    void aReplicaRunsInItsOwnProcessGroupSoTheTerminalsCtrlCDoesNotReachIt() throws Exception {
        assertThat(ProcessGroups.fromEnvironment().isolates())
                .as("setsid on PATH (install it with: apt-get install util-linux)")
                .isTrue();
        TargetRef target = attach("detached", fixture.backendSettings());
        orchestrator.scale(target, 1);
        awaitObserved(target, s -> s.readyReplicas() == 1);

        long pid = fixture.backends().get(0).pid();

        assertThat(processGroup(pid)).as("process group of the replica (pid %d)", pid)
                .isEqualTo(pid)
                .isNotEqualTo(processGroup(ProcessHandle.current().pid()));
        assertThat(new ProcessStateStore(dataDirectory).read(target))
                .as("the state file records the replica's own pid, not a launcher's")
                .singleElement()
                .satisfies(saved -> assertThat(saved.pid()).isEqualTo(pid));
    }

    @Test
    void stoppingAReplicaAlsoStopsTheProcessesItStarted() throws Exception {
        // A shell that runs the backend as its child and waits: the shell is the replica, and it
        // does not pass SIGTERM on. Only a signal to the whole process group reaches the backend.
        List<String> command = new ArrayList<>(List.of("sh", "-c", "\"$@\" & wait", "sh"));
        command.addAll(fixture.backendCommand());
        Map<String, Object> settings = fixture.backendSettings();
        settings.put("command", command);
        TargetRef target = attach("wrapped", settings);
        orchestrator.scale(target, 1);
        awaitObserved(target, s -> s.readyReplicas() == 1);
        long replicaPid = new ProcessStateStore(dataDirectory).read(target).get(0).pid();
        // The shell's arguments carry the fixture's marker too: the backend is the other process.
        ProcessHandle backend = fixture.backends().stream().filter(process -> process.pid() != replicaPid)
                .findFirst().orElseThrow();
        assertThat(backend.parent().map(ProcessHandle::pid)).as("the backend is the replica's child").hasValue(replicaPid);

        orchestrator.scale(target, 0);

        fixture.assertNoBackendLeft();
        await().atMost(TIMEOUT).until(() -> ProcessHandle.of(replicaPid).filter(ProcessHandle::isAlive).isEmpty());
    }

    @Test
    void withoutSetsidAReplicaStaysInTheDaemonsProcessGroupAndStillStops() throws Exception {
        ProcessOrchestrator plain = fixture.newOrchestrator(ProcessGroups.fromPath("/nonexistent"));
        Workload workload = ProcessFixture.workload("plain", fixture.backendSettings());
        plain.attach(workload);
        plain.scale(workload.target(), 1);
        await().atMost(TIMEOUT).until(() -> plain.observe(workload.target()).readyReplicas() == 1);

        long pid = fixture.backends().get(0).pid();
        assertThat(processGroup(pid)).as("process group of the replica started without setsid")
                .isEqualTo(processGroup(ProcessHandle.current().pid()));

        plain.scale(workload.target(), 0);
        fixture.assertNoBackendLeft();
    }

    /** The process group of {@code pid}, as ps reports it. */
    private static long processGroup(long pid) throws Exception {
        Process ps = new ProcessBuilder("ps", "-o", "pgid=", "-p", Long.toString(pid)).redirectErrorStream(true).start();
        String out = new String(ps.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
        assertThat(ps.waitFor()).as("ps -o pgid= -p %d: %s", pid, out).isZero();
        return Long.parseLong(out);
    }

    private TargetRef attach(String name, Map<String, Object> settings) {
        Workload workload = ProcessFixture.workload(name, settings);
        orchestrator.attach(workload);
        return workload.target();
    }

    private ObservedState awaitObserved(TargetRef target, Predicate<ObservedState> condition) {
        return await().atMost(TIMEOUT).until(() -> orchestrator.observe(target), condition);
    }

    private ObservedState awaitChanged(String description, Predicate<ObservedState> condition) {
        return await(description)
                .atMost(TIMEOUT)
                .until(() -> changedStates().stream().filter(condition).findFirst(), Optional::isPresent)
                .orElseThrow();
    }

    private List<ObservedState> changedStates() {
        return events.stream()
                .filter(WorkloadEvent.Changed.class::isInstance)
                .map(event -> ((WorkloadEvent.Changed) event).state())
                .toList();
    }

    private String get(Endpoint endpoint) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + endpoint + "/"))
                .timeout(Duration.ofSeconds(10))
                .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }
}
