package io.zeroscale.engine.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.zeroscale.engine.process.ProcessStateStore.SavedReplica;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.testkit.FreePorts;
import java.io.BufferedReader;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Processes outlive the daemon; the next run adopts exactly its own and nothing else. */
@Timeout(180)
class ProcessAdoptionTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path dataDirectory;

    private ProcessFixture fixture;
    private final List<Process> started = new ArrayList<>();

    @BeforeEach
    void setUp() {
        fixture = new ProcessFixture(dataDirectory);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Process process : started) {
            process.destroyForcibly().waitFor();
        }
        fixture.close();
    }

    @Test
    void aDetachedWorkloadKeepsRunningAndIsAdoptedWhenAttachedAgain() {
        ProcessOrchestrator orchestrator = fixture.newOrchestrator();
        Workload workload = ProcessFixture.workload("detached", fixture.backendSettings());
        TargetRef target = workload.target();
        orchestrator.attach(workload);
        List<io.zeroscale.spi.orchestrator.WorkloadEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        orchestrator.watch(target, events::add);
        orchestrator.scale(target, 1);
        await("the replica is ready").atMost(TIMEOUT).until(() -> orchestrator.observe(target).readyReplicas() == 1);
        long pid = fixture.backends().get(0).pid();

        orchestrator.detach(workload);
        orchestrator.detach(workload);

        assertThat(fixture.backends()).as("the process keeps running").extracting(ProcessHandle::pid).containsExactly(pid);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> orchestrator.observe(target))
                .hasMessageContaining("has no workload " + target + "; attach it first");
        int eventsAtDetach = events.size();

        orchestrator.attach(workload);

        ObservedState state = orchestrator.observe(target);
        assertThat(state.replicas()).as("adopted again").isEqualTo(1);
        assertThat(fixture.backends()).as("the same process, no new one").extracting(ProcessHandle::pid).containsExactly(pid);
        assertThat(events).as("no event reached the watch of the detached workload").hasSize(eventsAtDetach);
    }

    @Test
    void aRestartedDaemonAdoptsTheReplicaItsCrashedPredecessorStarted() throws Exception {
        Workload workload = ProcessFixture.workload("survivor", fixture.backendSettings());
        TargetRef target = workload.target();
        Process daemon = start(new ProcessBuilder(
                        ProcessHandle.current().info().command().orElseThrow(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        CrashingDaemon.class.getName(),
                        dataDirectory.toString(),
                        "survivor",
                        fixture.id())
                .redirectErrorStream(true));
        awaitReadyLine(daemon);

        daemon.destroyForcibly().waitFor();

        List<SavedReplica> saved = new ProcessStateStore(dataDirectory).read(target);
        assertThat(saved).as("replicas in the state file the crashed daemon left").hasSize(1);
        long pid = saved.get(0).pid();
        assertThat(fixture.backends()).as("backends alive after the crash").extracting(ProcessHandle::pid)
                .containsExactly(pid);

        ProcessOrchestrator next = fixture.newOrchestrator();
        next.attach(workload);

        ObservedState state = next.observe(target);
        assertThat(state.replicas()).as("replicas right after attach").isEqualTo(1);
        assertThat(state.readyEndpoints())
                .as("ready endpoints right after attach")
                .containsExactly(new Endpoint("127.0.0.1", saved.get(0).port()));
        assertThat(fixture.backends()).as("backends after adoption: the same one, no duplicate")
                .extracting(ProcessHandle::pid)
                .containsExactly(pid);

        next.scale(target, 0);

        await("the adopted replica exits").atMost(TIMEOUT).until(() -> !isAlive(pid));
        // Exit of a process that is not our child is noticed by polling, so give it time.
        await("the state file forgets the replica once it exited")
                .atMost(TIMEOUT)
                .until(() -> new ProcessStateStore(dataDirectory).read(target).isEmpty());
    }

    @Test
    void aRecordedPidThatNowBelongsToAnotherProcessIsNeitherAdoptedNorSignalled() throws Exception {
        Workload workload = ProcessFixture.workload("reused", fixture.backendSettings());
        int port = FreePorts.next();
        Process stranger = startBackend(port);
        Instant strangerStart = stranger.info().startInstant().orElseThrow();
        Process gone = start(new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "-version"));
        gone.waitFor();
        ProcessStateStore store = new ProcessStateStore(dataDirectory);
        store.write(workload.target(), List.of(
                // Same pid, but the process we started back then started an hour earlier.
                new SavedReplica(stranger.pid(), strangerStart.minusSeconds(3600).toString(), port,
                        fixture.backendCommand(), false),
                new SavedReplica(gone.pid(), Instant.EPOCH.toString(), FreePorts.next(), List.of("gone"), false)));

        ProcessOrchestrator orchestrator = fixture.newOrchestrator();
        orchestrator.attach(workload);

        assertThat(orchestrator.observe(workload.target()).replicas()).as("replicas adopted").isZero();
        assertThat(store.read(workload.target())).as("state file after attach: both records forgotten").isEmpty();
        await("the stranger keeps running")
                .during(Duration.ofSeconds(1))
                .atMost(Duration.ofSeconds(5))
                .until(stranger::isAlive);
    }

    @Test
    void ourProcessesThatCannotBeAdoptedCleanlyAreStopped() throws Exception {
        Workload workload = ProcessFixture.workload("stale", fixture.backendSettings());
        int stoppingPort = FreePorts.next();
        Process wasStopping = startBackend(stoppingPort);
        int oldCommandPort = FreePorts.next();
        Process oldCommand = startBackend(oldCommandPort);
        List<String> previousCommand = new ArrayList<>(fixture.backendCommand());
        previousCommand.add("--model=v1");
        new ProcessStateStore(dataDirectory).write(workload.target(), List.of(
                new SavedReplica(wasStopping.pid(), startOf(wasStopping), stoppingPort, fixture.backendCommand(), true),
                new SavedReplica(oldCommand.pid(), startOf(oldCommand), oldCommandPort, previousCommand, false)));

        ProcessOrchestrator orchestrator = fixture.newOrchestrator();
        orchestrator.attach(workload);

        assertThat(orchestrator.observe(workload.target()).replicas()).as("replicas adopted").isZero();
        await("both are stopped")
                .atMost(TIMEOUT)
                .until(() -> !wasStopping.isAlive() && !oldCommand.isAlive());
        assertThat(wasStopping.exitValue()).as("exit status: SIGTERM, not SIGKILL").isEqualTo(143);
        assertThat(oldCommand.exitValue()).as("exit status: SIGTERM, not SIGKILL").isEqualTo(143);
    }

    /** Starts a backend the way the orchestrator would, but from the test. */
    private Process startBackend(int port) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(fixture.backendCommand()).redirectErrorStream(true);
        builder.environment().put("PORT", Integer.toString(port));
        builder.redirectOutput(dataDirectory.resolve("backend-" + port + ".log").toFile());
        return start(builder);
    }

    private Process start(ProcessBuilder builder) throws Exception {
        Process process = builder.start();
        started.add(process);
        return process;
    }

    private static void awaitReadyLine(Process daemon) throws Exception {
        StringBuilder output = new StringBuilder();
        try (BufferedReader lines = daemon.inputReader()) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.equals(CrashingDaemon.READY)) {
                    return;
                }
                output.append(line).append('\n');
            }
        }
        throw new AssertionError("the daemon exited before its replica was ready; its output:\n" + output);
    }

    private static String startOf(Process process) {
        return process.info().startInstant().orElseThrow().toString();
    }

    private static boolean isAlive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
}
