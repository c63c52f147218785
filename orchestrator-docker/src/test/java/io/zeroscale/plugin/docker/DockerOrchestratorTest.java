package io.zeroscale.plugin.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.plugin.docker.DockerEngine.Health;
import io.zeroscale.plugin.docker.DockerEngine.State;
import io.zeroscale.plugin.docker.FakeDockerEngine.Box;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.ResourceProfile;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DockerOrchestratorTest {
    private static final TargetRef WEB = TargetRef.of("docker", "ContainerGroup", "web");

    private final ManualScheduler scheduler = new ManualScheduler();
    private final QueueExecutor executor = new QueueExecutor();
    private final FakeDockerEngine engine = new FakeDockerEngine("unix:///fake/one.sock");
    /** Endpoints whose probe fails; every other published port answers. */
    private final Set<Endpoint> silent = new HashSet<>();
    /** Every endpoint our readiness probe was asked about, in order. */
    private final List<Endpoint> probed = new CopyOnWriteArrayList<>();
    private final List<WorkloadEvent> events = new CopyOnWriteArrayList<>();
    private final List<DockerOrchestrator> opened = new ArrayList<>();

    @AfterEach
    void closeAll() {
        opened.forEach(DockerOrchestrator::close);
    }

    private DockerOrchestrator orchestrator(FakeDockerEngine... engines) {
        List<DockerEngine> list = List.of(engines);
        DockerOrchestrator orchestrator = new DockerOrchestrator("docker",
                new DockerConfig(list.stream().map(DockerEngine::host).toList(), Duration.ofSeconds(30),
                        Duration.ofSeconds(30)),
                list, (endpoint, readiness) -> {
                    probed.add(endpoint);
                    return !silent.contains(endpoint);
                }, context());
        opened.add(orchestrator);
        return orchestrator;
    }

    private PluginContext context() {
        return new PluginContext() {
            @Override
            public Scheduler scheduler() {
                return scheduler;
            }

            @Override
            public Executor blockingExecutor() {
                return executor;
            }

            @Override
            public Path dataDirectory() {
                return Path.of("target/data");
            }
        };
    }

    private static Workload workload(Map<String, Object> settings) {
        Map<String, Object> all = new HashMap<>(Map.of("image", "localhost/app:1", "port", 8080, "stop-grace", "3s"));
        all.putAll(settings);
        return new Workload(WEB, Config.of("targets.web.workload", all));
    }

    private DockerOrchestrator attached(Map<String, Object> settings) {
        DockerOrchestrator orchestrator = orchestrator(engine);
        orchestrator.attach(workload(settings));
        return orchestrator;
    }

    private List<Box> live(FakeDockerEngine on) {
        return on.containers.values().stream().filter(b -> b.state.live()).toList();
    }

    private ObservedState lastChanged() {
        for (int i = events.size() - 1; i >= 0; i--) {
            if (events.get(i) instanceof WorkloadEvent.Changed changed) {
                return changed.state();
            }
        }
        throw new AssertionError("no Changed event in " + events);
    }

    @Test
    void conditionalWakeCreatesTheGroupsOneWakeContainerOnlyFromZeroWhicheverOrchestratorAsks() {
        DockerOrchestrator first = attached(Map.of());
        DockerOrchestrator second = attached(Map.of());

        assertThat(first.wakeIfZero(WEB)).as("the first wake from zero").isTrue();
        assertThat(second.wakeIfZero(WEB)).as("another orchestrator's wake, a replica there").isFalse();
        assertThat(first.wakeIfZero(WEB)).as("a repeated wake").isFalse();
        executor.runAll();

        assertThat(live(engine)).singleElement().satisfies(box -> {
            assertThat(box.name).startsWith("zs-web-wake-");
            assertThat(box.state).isEqualTo(State.RUNNING);
        });
        assertThat(first.observe(WEB).desiredReplicas()).as("desired after the wake").isEqualTo(1);
    }

    @Test
    void conditionalWakeStartsTheWakeContainerAnotherOrchestratorCreatedButDidNotStartYet() {
        DockerOrchestrator first = attached(Map.of());
        DockerOrchestrator second = attached(Map.of());
        first.wakeIfZero(WEB);
        executor.runAll();
        Box woken = live(engine).get(0);
        // As if `first` lost the race between its create and its start: the container exists, created.
        engine.stop(woken.id, Duration.ofSeconds(1));
        woken.state = State.CREATED;

        assertThat(second.wakeIfZero(WEB)).as("a wake that finds the created container").isFalse();
        woken.state = State.EXITED;
        assertThat(second.wakeIfZero(WEB)).as("a wake that finds it stopped").isTrue();
        assertThat(first.wakeIfZero(WEB)).as("the other orchestrator, after that").isFalse();
        executor.runAll();

        assertThat(engine.containers.values()).singleElement().satisfies(box -> {
            assertThat(box.id).isEqualTo(woken.id);
            assertThat(box.state).isEqualTo(State.RUNNING);
        });
    }

    @Test
    void scaleCreatesContainersFromTheTemplateAndIsIdempotent() {
        DockerOrchestrator orchestrator = attached(Map.of(
                "command", List.of("serve", "--port", "8080"),
                "env", Map.of("MODEL", "small"),
                "labels", Map.of("team", "ml"),
                "cpus", 1.5,
                "memory", "256m",
                "gpus", 1));

        orchestrator.scale(WEB, 3);
        executor.runAll();

        assertThat(live(engine)).hasSize(3).allSatisfy(box -> {
            assertThat(box.state).isEqualTo(State.RUNNING);
            assertThat(box.spec.image()).isEqualTo("localhost/app:1");
            assertThat(box.spec.command()).containsExactly("serve", "--port", "8080");
            assertThat(box.spec.env()).containsEntry("MODEL", "small");
            assertThat(box.labels).containsEntry("team", "ml").containsEntry(ContainerGroup.GROUP_LABEL, WEB.toString());
            assertThat(box.spec.cpus()).isEqualTo(1.5);
            assertThat(box.spec.memoryBytes()).isEqualTo(256L * 1024 * 1024);
            assertThat(box.spec.gpus()).isEqualTo(1);
            assertThat(box.spec.publishIp()).isEqualTo("127.0.0.1");
            assertThat(box.spec.stopGrace()).isEqualTo(Duration.ofSeconds(3));
            assertThat(box.name).startsWith("zs-web-");
        });
        ObservedState state = orchestrator.observe(WEB);
        assertThat(state.replicas()).isEqualTo(3);
        assertThat(state.readyReplicas()).isEqualTo(3);
        // Podman reports no host IP: the endpoint is the loopback address and the published port.
        assertThat(state.readyEndpoints()).hasSize(3).allSatisfy(e -> assertThat(e.host()).isEqualTo("127.0.0.1"));

        engine.calls.clear();
        orchestrator.scale(WEB, 3);
        executor.runAll();
        assertThat(engine.calls).noneMatch(call -> call.startsWith("create") || call.startsWith("stop"));
        assertThat(live(engine)).hasSize(3);
    }

    @Test
    void scaleDownStopsWithTheGraceAndRemovesTheNewestFirst() {
        DockerOrchestrator orchestrator = attached(Map.of());
        orchestrator.scale(WEB, 3);
        executor.runAll();
        Box oldest = live(engine).get(0);

        orchestrator.scale(WEB, 1);
        executor.runAll();

        assertThat(engine.containers.values()).extracting(b -> b.id).containsExactly(oldest.id);
        assertThat(engine.calls).filteredOn(c -> c.startsWith("stop")).hasSize(2).allMatch(c -> c.endsWith(" 3s"));
        assertThat(orchestrator.observe(WEB).replicas()).isEqualTo(1);
        // Our own stops are not failures.
        assertThat(events).noneMatch(e -> e instanceof WorkloadEvent.ReplicaFailed);

        orchestrator.scale(WEB, 0);
        executor.runAll();
        assertThat(engine.containers).isEmpty();
        assertThat(orchestrator.observe(WEB)).satisfies(s -> {
            assertThat(s.replicas()).isZero();
            assertThat(s.readyEndpoints()).isEmpty();
        });
    }

    @Test
    void scaleDownRemovesStartingContainersBeforeReadyOnes() {
        DockerOrchestrator orchestrator = attached(Map.of());
        orchestrator.scale(WEB, 2);
        executor.runAll();
        Box first = live(engine).get(0);
        Box second = live(engine).get(1);
        // The newer one is ready, the older is still starting: the starting one goes.
        silent.add(new Endpoint("127.0.0.1", first.ports.get(8080).port()));

        orchestrator.scale(WEB, 1);
        executor.runAll();

        assertThat(engine.containers.keySet()).containsExactly(second.id);
    }

    @Test
    void watchStartsWithTheCurrentStateThenPushesReadinessFromEvents() {
        DockerOrchestrator orchestrator = attached(Map.of());
        Subscription watch = orchestrator.watch(WEB, events::add);
        executor.runAll();
        assertThat(events).hasSize(1);
        assertThat(lastChanged().replicas()).isZero();

        orchestrator.scale(WEB, 2);
        executor.runAll();
        Box a = live(engine).get(0);
        assertThat(lastChanged().readyReplicas()).isEqualTo(2);

        // A second watcher gets the current state first, without waiting for a change.
        List<WorkloadEvent> second = new ArrayList<>();
        orchestrator.watch(WEB, second::add);
        executor.runAll();
        assertThat(second).singleElement().satisfies(e ->
                assertThat(((WorkloadEvent.Changed) e).state().readyReplicas()).isEqualTo(2));

        int before = events.size();
        watch.close();
        engine.crash(a.id, 1);
        executor.runAll();
        assertThat(events).hasSize(before);
    }

    @Test
    void readinessWaitsForTheProbeAndRetriesOnTheReadinessInterval() {
        DockerOrchestrator orchestrator = attached(Map.of("readiness", Map.of("http", "/health", "interval", "100ms")));
        orchestrator.watch(WEB, events::add);
        executor.runAll();
        silent.add(new Endpoint("127.0.0.1", 40000));

        orchestrator.scale(WEB, 1);
        executor.runAll();
        assertThat(lastChanged().replicas()).isEqualTo(1);
        assertThat(lastChanged().readyReplicas()).isZero();

        silent.clear();
        scheduler.advance(Duration.ofMillis(100));
        executor.runAll();
        assertThat(lastChanged().readyEndpoints()).containsExactly(new Endpoint("127.0.0.1", 40000));
    }

    @Test
    void healthcheckStatusDecidesWhenTheContainerHasOne() {
        DockerOrchestrator orchestrator = attached(Map.of("healthcheck", Map.of("command", "wget -q -O- http://127.0.0.1:8080/")));
        orchestrator.scale(WEB, 1);
        executor.runAll();
        Box box = live(engine).get(0);
        assertThat(box.spec.healthcheck().test()).containsExactly("CMD-SHELL", "wget -q -O- http://127.0.0.1:8080/");

        box.health = Health.UNHEALTHY;
        assertThat(orchestrator.observe(WEB).readyReplicas()).as("unhealthy, although the port answers").isZero();

        box.health = Health.HEALTHY;
        silent.add(new Endpoint("127.0.0.1", box.ports.get(8080).port()));
        assertThat(orchestrator.observe(WEB).readyReplicas()).as("healthy, although our probe fails").isEqualTo(1);

        // Podman without systemd never moves past "starting": run the check and fall back to the probe.
        box.health = Health.STARTING;
        silent.clear();
        engine.calls.clear();
        assertThat(orchestrator.observe(WEB).readyReplicas()).isEqualTo(1);
        assertThat(engine.calls).contains("healthcheck " + box.id);
    }

    @Test
    void aContainerThatDiesIsReportedWithItsLogsAndReplacedWhenTheEngineScalesAgain() {
        DockerOrchestrator orchestrator = attached(Map.of());
        orchestrator.watch(WEB, events::add);
        orchestrator.scale(WEB, 2);
        executor.runAll();
        Box victim = live(engine).get(0);
        victim.logs = List.of("serving", "panic: out of cheese");
        events.clear();

        engine.crash(victim.id, 137);
        executor.runAll();
        scheduler.advance(Duration.ofMinutes(1));
        executor.runAll();

        assertThat(events.get(0)).isInstanceOfSatisfying(WorkloadEvent.ReplicaFailed.class, failed -> {
            assertThat(failed.replica()).isEqualTo(victim.name);
            assertThat(failed.reason()).isEqualTo("exited with code 137 (on unix:///fake/one.sock)");
            assertThat(failed.output()).containsExactly("serving", "panic: out of cheese");
        });
        assertThat(events.get(1)).isInstanceOfSatisfying(WorkloadEvent.Changed.class,
                changed -> assertThat(changed.state().replicas()).isEqualTo(1));
        assertThat(engine.containers).doesNotContainKey(victim.id);
        assertThat(live(engine)).as("the engine paces restarts (crash-loop backoff), not the orchestrator").hasSize(1);

        orchestrator.scale(WEB, 2);
        executor.runAll();
        assertThat(live(engine)).hasSize(2);
        assertThat(lastChanged().readyReplicas()).isEqualTo(2);
        assertThat(events).filteredOn(e -> e instanceof WorkloadEvent.ReplicaFailed).hasSize(1);
    }

    @Test
    void aContainerNeverReadyWithinItsStartTimeoutIsAFailedStartStoppedAndNotKept() {
        DockerOrchestrator orchestrator = attached(Map.of("keep-stopped", 1,
                "readiness", Map.of("tcp", true, "start-timeout", "5s")));
        orchestrator.watch(WEB, events::add);
        silent.add(new Endpoint("127.0.0.1", 40000)); // the fake engine's first published port
        orchestrator.scale(WEB, 1);
        executor.runAll();
        Box box = live(engine).get(0);
        assertThat(box.ports.get(8080).port()).isEqualTo(40000);
        box.logs = List.of("loading model", "waiting for a GPU");
        events.clear();

        scheduler.advance(Duration.ofSeconds(4));
        executor.runAll();
        assertThat(events).as("still within its start timeout").noneMatch(e -> e instanceof WorkloadEvent.ReplicaFailed);

        scheduler.advance(Duration.ofSeconds(2));
        executor.runAll();
        assertThat(events).filteredOn(e -> e instanceof WorkloadEvent.ReplicaFailed).singleElement()
                .isInstanceOfSatisfying(WorkloadEvent.ReplicaFailed.class, failed -> {
                    assertThat(failed.replica()).isEqualTo(box.name);
                    assertThat(failed.reason()).isEqualTo("was not ready within readiness.start-timeout 5s"
                            + " (on unix:///fake/one.sock); stopping it");
                    assertThat(failed.output()).containsExactly("loading model", "waiting for a GPU");
                });
        assertThat(engine.containers).as("a failed start is removed, not kept in the stopped tier")
                .doesNotContainKey(box.id);

        scheduler.advance(Duration.ofMinutes(1));
        executor.runAll();
        assertThat(events).as("its stop is not a second failure").filteredOn(e -> e instanceof WorkloadEvent.ReplicaFailed)
                .hasSize(1);
    }

    @Test
    void aContainerThatDiesBeforeAnyRefreshSawItRunIsStillAFailureBeforeItWasReady() {
        DockerOrchestrator orchestrator = attached(Map.of("memory", "64m"));
        orchestrator.watch(WEB, events::add);
        executor.runAll();
        orchestrator.scale(WEB, 1);
        Box box = live(engine).get(0);
        box.logs = List.of("allocating weights");
        engine.crash(box.id, 137); // before the refresh the scale queued ran
        executor.runAll();

        assertThat(events).filteredOn(e -> e instanceof WorkloadEvent.ReplicaFailed).singleElement()
                .isInstanceOfSatisfying(WorkloadEvent.ReplicaFailed.class, failed -> {
                    assertThat(failed.reason()).startsWith("was killed (exit code 137, SIGKILL) before it was ready with a memory"
                            + " limit of 64 MiB: most likely out of memory (OOM)");
                    assertThat(failed.output()).containsExactly("allocating weights");
                });

        orchestrator.scale(WEB, 1);
        Box second = live(engine).get(0);
        second.oomKilled = true;
        engine.crash(second.id, 137);
        executor.runAll();
        assertThat(events).filteredOn(e -> e instanceof WorkloadEvent.ReplicaFailed).last()
                .isInstanceOfSatisfying(WorkloadEvent.ReplicaFailed.class, failed -> assertThat(failed.reason())
                        .startsWith("was killed for exceeding its memory limit of 64 MiB (OOM) before it was ready"));
    }

    @Test
    void aRestartAdoptsTheGroupWithoutDuplicates() {
        DockerOrchestrator first = attached(Map.of());
        first.scale(WEB, 2);
        executor.runAll();
        Set<String> ids = Set.copyOf(engine.containers.keySet());
        first.close();
        assertThat(live(engine)).as("closing leaves containers running").hasSize(2);

        DockerOrchestrator second = attached(Map.of());
        assertThat(second.observe(WEB).readyReplicas()).isEqualTo(2);
        second.scale(WEB, 2);
        executor.runAll();
        assertThat(engine.containers.keySet()).isEqualTo(ids);

        second.scale(WEB, 3);
        executor.runAll();
        assertThat(live(engine)).hasSize(3);
    }

    @Test
    void attachRemovesDeadLeftoversWithoutReportingThem() {
        DockerOrchestrator first = attached(Map.of());
        first.scale(WEB, 2);
        executor.runAll();
        first.close();
        Box dead = live(engine).get(0);
        dead.state = State.EXITED;

        DockerOrchestrator second = attached(Map.of());
        second.watch(WEB, events::add);
        executor.runAll();

        assertThat(engine.containers).doesNotContainKey(dead.id);
        assertThat(events).singleElement().isInstanceOf(WorkloadEvent.Changed.class);
        assertThat(lastChanged().replicas()).isEqualTo(1);
    }

    @Test
    void adoptedContainersAreStartedAndStoppedButNeverRemoved() {
        Map<String, String> compose = Map.of("com.docker.compose.service", "web");
        Box a = engine.external("app-web-1", compose, 8080, State.RUNNING);
        Box b = engine.external("app-web-2", compose, 8080, State.EXITED);
        engine.external("app-db-1", Map.of("com.docker.compose.service", "db"), 5432, State.RUNNING);
        DockerOrchestrator orchestrator = orchestrator(engine);
        orchestrator.attach(new Workload(WEB, Config.of("w", Map.of(
                "adopt-label", "com.docker.compose.service=web", "port", 8080))));

        assertThat(orchestrator.observe(WEB).readyEndpoints())
                .containsExactly(new Endpoint("127.0.0.1", a.ports.get(8080).port()));

        orchestrator.scale(WEB, 2);
        executor.runAll();
        assertThat(b.state).isEqualTo(State.RUNNING);

        orchestrator.scale(WEB, 0);
        executor.runAll();
        assertThat(engine.containers).containsKeys(a.id, b.id);
        assertThat(a.state).isEqualTo(State.EXITED);
        assertThat(b.state).isEqualTo(State.EXITED);

        assertThatThrownBy(() -> orchestrator.scale(WEB, 3))
                .isInstanceOfSatisfying(ZeroscaleException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(DockerErrorCode.NOT_ENOUGH_CONTAINERS);
                    assertThat(e.getMessage()).contains("com.docker.compose.service=web").contains("image");
                });
    }

    @Test
    void anAdoptedGroupWithAnImageCreatesWhatIsMissing() {
        engine.external("app-web-1", Map.of("svc", "web"), 8080, State.RUNNING);
        DockerOrchestrator orchestrator = orchestrator(engine);
        orchestrator.attach(new Workload(WEB, Config.of("w", Map.of("adopt-label", "svc=web", "port", 8080,
                "image", "localhost/app:1"))));

        orchestrator.scale(WEB, 2);
        executor.runAll();

        assertThat(live(engine)).filteredOn(box -> "web".equals(box.labels.get("svc"))).hasSize(2);
        orchestrator.scale(WEB, 1);
        executor.runAll();
        // The one we created goes first (newest) and is removed; the adopted one stays.
        assertThat(engine.containers.values()).extracting(box -> box.name).containsExactly("app-web-1");
    }

    @Test
    void resumeUnpausesTheContainersLastSeenPausedBeforeReadingTheHost() {
        DockerOrchestrator orchestrator = twoReplicasPaused();
        engine.calls.clear();

        orchestrator.resume(WEB);
        // A wake from PAUSED waits on this call: its first engine calls are the unpauses, no read first.
        assertThat(engine.calls.subList(0, 2)).allMatch(call -> call.startsWith("unpause "));
        executor.runAll();
        assertThat(live(engine)).allMatch(box -> box.state == State.RUNNING);
        assertTwoReadyNonePaused();
    }

    @Test
    void resumeAnnouncesContainersThatWereReadyWhenPausedReadyBeforeTheUnpauseAndWithoutAProbe() {
        DockerOrchestrator orchestrator = twoReplicasPaused();
        List<ObservedState> atFirstUnpause = new ArrayList<>();
        // The wake's route may be published while the engine API is still thawing them: by the time
        // the first unpause reaches the engine, the ready state was handed to the watchers.
        engine.containers.keySet().forEach(id -> engine.beforeUnpause.put(id, () -> {
            if (atFirstUnpause.isEmpty()) {
                executor.runAll();
                atFirstUnpause.add(lastChanged());
            }
        }));
        probed.clear();

        orchestrator.resume(WEB);
        assertThat(probed).as("probes made before resume returned").isEmpty();
        assertThat(atFirstUnpause).singleElement().satisfies(s -> {
            assertThat(s.readyReplicas()).isEqualTo(2);
            assertThat(s.pausedReplicas()).isZero();
            assertThat(s.readyEndpoints()).hasSize(2);
        });
        executor.runAll();
        assertThat(live(engine)).allMatch(box -> box.state == State.RUNNING);
        assertTwoReadyNonePaused();
    }

    @Test
    void resumeProbesAContainerThatWasNotReadyWhenPausedAndAnnouncesNothingBeforeTheUnpause() {
        DockerOrchestrator orchestrator = attached(Map.of());
        orchestrator.watch(WEB, events::add);
        orchestrator.scale(WEB, 1);
        Box box = engine.containers.values().iterator().next();
        Endpoint endpoint = new Endpoint("127.0.0.1", box.ports.values().iterator().next().port());
        silent.add(endpoint);
        executor.runAll();
        orchestrator.pause(WEB);
        executor.runAll();
        List<ObservedState> atUnpause = new ArrayList<>();
        engine.beforeUnpause.put(box.id, () -> {
            executor.runAll();
            atUnpause.add(lastChanged());
        });
        probed.clear();

        orchestrator.resume(WEB);
        assertThat(atUnpause).singleElement().satisfies(s -> assertThat(s.pausedReplicas()).isEqualTo(1));
        assertThat(probed).as("probed after its unpause").contains(endpoint);
        executor.runAll();
        assertThat(lastChanged()).satisfies(s -> {
            assertThat(s.readyReplicas()).as("its probe still fails").isZero();
            assertThat(s.pausedReplicas()).isZero();
        });
    }

    @Test
    void resumeReadsTheHostWhenAContainerAnnouncedReadyTurnsOutGoneAndPushesWhatIsThere() {
        DockerOrchestrator orchestrator = twoReplicasPaused();
        // Removed behind the group's back with no event seen: the unpause finds it gone (404).
        Box gone = engine.containers.values().iterator().next();
        engine.containers.remove(gone.id);
        engine.calls.clear();

        orchestrator.resume(WEB);
        assertThat(engine.calls).as("engine calls of the resume").contains("unpause " + gone.id, "list");
        executor.runAll();
        assertThat(lastChanged()).satisfies(s -> {
            assertThat(s.replicas()).isEqualTo(1);
            assertThat(s.readyReplicas()).isEqualTo(1);
            assertThat(s.pausedReplicas()).isZero();
        });
        assertThat(live(engine)).singleElement().satisfies(b -> assertThat(b.state).isEqualTo(State.RUNNING));
    }

    @Test
    void resumeTakesBackTheEarlyAnnouncementWhenAnUnpauseFailsAndTheHostCannotBeRead() {
        DockerOrchestrator orchestrator = twoReplicasPaused();
        // The engine API stops answering after the first unpause: the second container stays frozen.
        engine.containers.keySet().forEach(id -> engine.beforeUnpause.put(id, () -> engine.down = true));

        assertThatThrownBy(() -> orchestrator.resume(WEB)).isInstanceOf(ZeroscaleException.class);
        executor.runAll();
        assertThat(lastChanged().readyReplicas()).as("ready replicas pushed last in %s", events).isZero();
    }

    @Test
    void resumeReadsTheHostWhenAContainerWasUnpausedBehindItsBack() {
        DockerOrchestrator orchestrator = twoReplicasPaused();
        // Someone else unpaused the oldest one, and the group has not read the host since.
        engine.containers.values().iterator().next().state = State.RUNNING;
        engine.calls.clear();

        orchestrator.resume(WEB);
        executor.runAll();
        assertThat(engine.calls).contains("list");
        assertThat(live(engine)).hasSize(2).allMatch(box -> box.state == State.RUNNING);
        assertTwoReadyNonePaused();
    }

    /** Two replicas of WEB, watched, then paused. */
    private DockerOrchestrator twoReplicasPaused() {
        DockerOrchestrator orchestrator = attached(Map.of());
        orchestrator.watch(WEB, events::add);
        orchestrator.scale(WEB, 2);
        executor.runAll();
        orchestrator.pause(WEB);
        executor.runAll();
        return orchestrator;
    }

    private void assertTwoReadyNonePaused() {
        assertThat(lastChanged()).satisfies(s -> {
            assertThat(s.readyReplicas()).isEqualTo(2);
            assertThat(s.pausedReplicas()).isZero();
        });
    }

    @Test
    void pauseFreezesEveryContainerAndResumeMakesThemReadyAgain() {
        DockerOrchestrator orchestrator = attached(Map.of());
        orchestrator.watch(WEB, events::add);
        orchestrator.scale(WEB, 2);
        executor.runAll();

        orchestrator.pause(WEB);
        executor.runAll();
        assertThat(live(engine)).allMatch(box -> box.state == State.PAUSED);
        assertThat(lastChanged()).satisfies(s -> {
            assertThat(s.replicas()).isEqualTo(2);
            assertThat(s.pausedReplicas()).isEqualTo(2);
            assertThat(s.readyReplicas()).isZero();
        });
        orchestrator.pause(WEB);

        orchestrator.resume(WEB);
        executor.runAll();
        assertThat(lastChanged().readyReplicas()).isEqualTo(2);
        assertThat(lastChanged().pausedReplicas()).isZero();

        // Scaling a paused group down unpauses before stopping, which engines require.
        orchestrator.pause(WEB);
        orchestrator.scale(WEB, 0);
        executor.runAll();
        assertThat(engine.containers).isEmpty();
    }

    @Test
    void resizeUpdatesRunningContainersAndTheTemplate() {
        DockerOrchestrator orchestrator = attached(Map.of("cpus", 1, "memory", "128m"));
        orchestrator.scale(WEB, 1);
        executor.runAll();

        orchestrator.resize(WEB, new ResourceProfile("large", 2.0, 512L * 1024 * 1024, null));
        assertThat(live(engine).get(0)).satisfies(box -> {
            assertThat(box.cpus).isEqualTo(2.0);
            assertThat(box.memory).isEqualTo(512L * 1024 * 1024);
        });

        orchestrator.scale(WEB, 2);
        executor.runAll();
        assertThat(live(engine).get(1).spec.memoryBytes()).isEqualTo(512L * 1024 * 1024);
        assertThat(live(engine).get(1).spec.cpus()).isEqualTo(2.0);
    }

    @Test
    void removeTakesOutExactlyTheDrainedContainers() {
        DockerOrchestrator orchestrator = attached(Map.of());
        orchestrator.scale(WEB, 3);
        executor.runAll();
        List<Endpoint> endpoints = orchestrator.observe(WEB).readyEndpoints();

        orchestrator.remove(WEB, List.of(endpoints.get(1), new Endpoint("127.0.0.1", 1)));
        executor.runAll();

        assertThat(orchestrator.observe(WEB).readyEndpoints()).containsExactly(endpoints.get(0), endpoints.get(2));
        // The removal lowered the count asked for: nothing is replaced.
        scheduler.advance(Duration.ofMinutes(5));
        executor.runAll();
        assertThat(live(engine)).hasSize(2);
        orchestrator.remove(WEB, List.of(endpoints.get(1)));
        executor.runAll();
        assertThat(live(engine)).hasSize(2);
    }

    @Test
    void anUnreachableEngineIsAnErrorNamingTheHostNotZero() {
        DockerOrchestrator orchestrator = attached(Map.of());
        orchestrator.watch(WEB, events::add);
        orchestrator.scale(WEB, 2);
        executor.runAll();
        int before = events.size();

        engine.down = true;
        assertThatThrownBy(() -> orchestrator.observe(WEB))
                .isInstanceOfSatisfying(ZeroscaleException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(DockerErrorCode.ENGINE_UNAVAILABLE);
                    assertThat(e.errorCode().type()).isEqualTo(io.zeroscale.spi.ErrorType.EXTERNAL);
                    assertThat(e.getMessage()).contains("unix:///fake/one.sock");
                });
        assertThatThrownBy(() -> orchestrator.scale(WEB, 0)).hasMessageContaining("unix:///fake/one.sock");
        scheduler.advance(Duration.ofMinutes(1));
        executor.runAll();
        assertThat(events).as("watchers hear nothing rather than zero").hasSize(before);

        engine.down = false;
        assertThat(live(engine)).hasSize(2);
        assertThat(orchestrator.observe(WEB).readyReplicas()).isEqualTo(2);
    }

    @Test
    void containersAreSpreadOverHostsAndOneHostDownFailsTheObservation() {
        FakeDockerEngine other = new FakeDockerEngine("tcp://10.0.0.2:2375");
        DockerOrchestrator orchestrator = orchestrator(engine, other);
        orchestrator.attach(workload(Map.of()));

        orchestrator.scale(WEB, 4);
        executor.runAll();

        assertThat(live(engine)).hasSize(2);
        assertThat(live(other)).hasSize(2);
        assertThat(orchestrator.observe(WEB).readyReplicas()).isEqualTo(4);
        other.down = true;
        assertThatThrownBy(() -> orchestrator.observe(WEB)).hasMessageContaining("tcp://10.0.0.2:2375");
    }

    @Test
    void unknownTargetsAndWrongKindsAreRejected() {
        DockerOrchestrator orchestrator = orchestrator(engine);
        assertThatThrownBy(() -> orchestrator.observe(WEB))
                .isInstanceOfSatisfying(ZeroscaleException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(DockerErrorCode.UNKNOWN_TARGET));
        Workload deployment = new Workload(TargetRef.of("docker", "Deployment", "web"),
                Config.of("targets.web.workload", Map.of("image", "x")));
        assertThatThrownBy(() -> orchestrator.attach(deployment))
                .isInstanceOfSatisfying(ZeroscaleException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(StandardErrorCode.CONFIG_INVALID);
                    assertThat(e.getMessage()).contains("targets.web.workload.kind").contains("ContainerGroup");
                });
    }

    @Test
    void closeReleasesClientsAndLeavesContainersAlone() {
        DockerOrchestrator orchestrator = attached(Map.of());
        orchestrator.scale(WEB, 2);
        executor.runAll();
        engine.calls.clear();

        orchestrator.close();
        scheduler.advance(Duration.ofHours(1));
        executor.runAll();

        assertThat(engine.closed).isTrue();
        assertThat(live(engine)).hasSize(2).allMatch(box -> box.state == State.RUNNING);
        assertThat(engine.calls).noneMatch(c -> c.startsWith("stop") || c.startsWith("remove") || c.startsWith("pause"));
        assertThat(scheduler.pending()).isZero();
    }

    @Test
    void aStartingContainerIsProbedOnTheStartupIntervalWithoutReadingTheHost() {
        DockerOrchestrator orchestrator = attached(Map.of("readiness", Map.of("tcp", true, "interval", "1s")));
        orchestrator.watch(WEB, events::add);
        executor.runAll();
        silent.add(new Endpoint("127.0.0.1", 40000));
        orchestrator.scale(WEB, 1);
        executor.runAll();
        assertThat(lastChanged().readyReplicas()).isZero();

        // Five startup probes (10 ms apart) fail: the port is probed, the host is not read again.
        engine.calls.clear();
        for (int i = 0; i < 5; i++) {
            scheduler.advance(Duration.ofMillis(10));
            executor.runAll();
        }
        assertThat(engine.calls).as("host calls while only the port is probed").isEmpty();
        assertThat(lastChanged().readyReplicas()).isZero();

        // The port answers: ready at the next startup probe, long before the 1 s interval.
        silent.clear();
        scheduler.advance(Duration.ofMillis(10));
        executor.runAll();
        assertThat(lastChanged().readyEndpoints()).containsExactly(new Endpoint("127.0.0.1", 40000));

        // Ready: no more startup probes.
        int pushed = events.size();
        engine.calls.clear();
        scheduler.advance(Duration.ofMillis(500));
        executor.runAll();
        assertThat(engine.calls).isEmpty();
        assertThat(events).hasSize(pushed);
    }

    @Test
    void aScaleDownKeepsStoppedContainersAndAWakeStartsThemInsteadOfCreating() {
        DockerOrchestrator orchestrator = attached(Map.of("keep-stopped", 1));
        orchestrator.watch(WEB, events::add);
        executor.runAll();
        orchestrator.scale(WEB, 2);
        executor.runAll();
        assertThat(events).filteredOn(e -> e instanceof WorkloadEvent.ReplicaStarted)
                .extracting(e -> ((WorkloadEvent.ReplicaStarted) e).tier()).containsExactly("created", "created");

        orchestrator.scale(WEB, 0);
        executor.runAll();
        assertThat(engine.containers.values()).as("one kept stopped, one removed").singleElement()
                .satisfies(box -> assertThat(box.state).isEqualTo(State.EXITED));
        Box kept = engine.containers.values().iterator().next();
        assertThat(events).noneMatch(e -> e instanceof WorkloadEvent.ReplicaFailed);
        assertThat(lastChanged().replicas()).isZero();
        assertThat(orchestrator.observe(WEB).replicas()).as("a stopped container is no replica").isZero();

        events.clear();
        engine.calls.clear();
        orchestrator.scale(WEB, 2);
        executor.runAll();
        assertThat(engine.calls).contains("start " + kept.id);
        assertThat(engine.calls).filteredOn(call -> call.startsWith("create")).hasSize(1);
        assertThat(events).filteredOn(e -> e instanceof WorkloadEvent.ReplicaStarted).containsExactly(
                new WorkloadEvent.ReplicaStarted(kept.name, "stopped"),
                new WorkloadEvent.ReplicaStarted(live(engine).get(1).name, "created"));
        assertThat(lastChanged().readyReplicas()).isEqualTo(2);
    }

    @Test
    void keptStoppedContainersAreRemovedAfterKeepStoppedFor() {
        DockerOrchestrator orchestrator = attached(Map.of("keep-stopped", 1, "keep-stopped-for", "10m"));
        orchestrator.scale(WEB, 1);
        executor.runAll();
        orchestrator.scale(WEB, 0);
        executor.runAll();
        assertThat(engine.containers).hasSize(1);

        scheduler.advance(Duration.ofMinutes(9));
        orchestrator.observe(WEB);
        assertThat(engine.containers).as("kept for 9 of 10 minutes").hasSize(1);

        scheduler.advance(Duration.ofMinutes(1));
        orchestrator.observe(WEB);
        assertThat(engine.containers).isEmpty();
    }

    @Test
    void changedSettingsDiscardTheKeptContainersMadeFromTheOldTemplate() {
        DockerOrchestrator orchestrator = attached(Map.of("keep-stopped", 1));
        orchestrator.scale(WEB, 1);
        executor.runAll();
        orchestrator.scale(WEB, 0);
        executor.runAll();
        assertThat(engine.containers).hasSize(1);

        orchestrator.attach(workload(Map.of("keep-stopped", 1, "env", Map.of("MODEL", "large"))));
        executor.runAll();
        assertThat(engine.containers).isEmpty();

        orchestrator.scale(WEB, 1);
        executor.runAll();
        assertThat(live(engine)).singleElement().satisfies(box -> assertThat(box.spec.env()).containsEntry("MODEL", "large"));
    }

    @Test
    void aRestartedOrchestratorKeepsTheStoppedTierItFindsAndRemovesTheRest() {
        DockerOrchestrator first = attached(Map.of("keep-stopped", 1));
        first.scale(WEB, 2);
        executor.runAll();
        first.scale(WEB, 0);
        executor.runAll();
        Box older = engine.containers.values().iterator().next();
        // Another stopped container of ours, made after it (e.g. by another run).
        Box newer = engine.external("zs-web-new", Map.of(ContainerGroup.GROUP_LABEL, WEB.toString()), 8080, State.EXITED);
        first.close();

        DockerOrchestrator second = attached(Map.of("keep-stopped", 1));
        executor.runAll();
        assertThat(engine.containers.keySet()).as("the newest stopped one is kept, the other removed")
                .containsExactly(newer.id).doesNotContain(older.id);

        engine.calls.clear();
        second.scale(WEB, 1);
        executor.runAll();
        assertThat(engine.calls).contains("start " + newer.id).noneMatch(call -> call.startsWith("create"));
    }

    /** WEB watched, scaled to one and back to zero, everything settled: the group's last read is current. */
    private DockerOrchestrator scaledUpAndDown(Map<String, Object> settings) {
        DockerOrchestrator orchestrator = attached(settings);
        orchestrator.watch(WEB, events::add);
        orchestrator.scale(WEB, 1);
        executor.runAll();
        orchestrator.scale(WEB, 0);
        executor.runAll();
        events.clear();
        engine.calls.clear();
        return orchestrator;
    }

    @Test
    void aWakeFromZeroCreatesAndStartsWithoutReadingTheHostFirst() {
        DockerOrchestrator orchestrator = scaledUpAndDown(Map.of());

        orchestrator.scale(WEB, 1);
        // A wake waits on this call: the last read and the event stream already say the group has none.
        assertThat(engine.calls).hasSize(2);
        assertThat(engine.calls.get(0)).startsWith("create zs-web-");
        assertThat(engine.calls.get(1)).startsWith("start ");
        executor.runAll();
        assertThat(live(engine)).singleElement().satisfies(box -> assertThat(box.state).isEqualTo(State.RUNNING));
        assertThat(lastChanged().readyReplicas()).isEqualTo(1);
    }

    @Test
    void aWakeFromTheStoppedTierStartsTheKeptContainerWithoutReadingTheHostFirst() {
        DockerOrchestrator orchestrator = scaledUpAndDown(Map.of("keep-stopped", 1));
        Box kept = engine.containers.values().iterator().next();

        orchestrator.scale(WEB, 1);
        assertThat(engine.calls).containsExactly("start " + kept.id);
        executor.runAll();
        assertThat(events).contains(new WorkloadEvent.ReplicaStarted(kept.name, "stopped"));
        assertThat(lastChanged().readyReplicas()).isEqualTo(1);
    }

    @Test
    void aKeptContainerRemovedUnseenMakesTheWakeReadTheHostAndCreate() {
        DockerOrchestrator orchestrator = scaledUpAndDown(Map.of("keep-stopped", 1));
        Box kept = engine.containers.values().iterator().next();
        // Removed behind the group's back, and the event of it lost: the group still counts it kept.
        engine.containers.remove(kept.id);

        orchestrator.scale(WEB, 1);
        // Its start finds it gone (404): the group reads the host and creates instead.
        assertThat(engine.calls.subList(0, 2)).containsExactly("start " + kept.id, "list");
        assertThat(engine.calls).filteredOn(call -> call.startsWith("create")).hasSize(1);
        executor.runAll();
        assertThat(live(engine)).singleElement().satisfies(box -> {
            assertThat(box.id).isNotEqualTo(kept.id);
            assertThat(box.state).isEqualTo(State.RUNNING);
        });
        assertThat(lastChanged().readyReplicas()).isEqualTo(1);
    }

    @Test
    void aKeptContainerStartedUnseenMakesTheWakeReadTheHostAndCreateNothing() {
        DockerOrchestrator orchestrator = scaledUpAndDown(Map.of("keep-stopped", 1));
        Box kept = engine.containers.values().iterator().next();
        // Started by someone else, and the event of it lost.
        kept.state = State.RUNNING;

        orchestrator.scale(WEB, 1);
        // Its start answers "already started" (304): the group reads the host, which has the one wanted.
        assertThat(engine.calls).containsExactly("start " + kept.id, "list");
        executor.runAll();
        assertThat(live(engine)).singleElement().satisfies(box -> assertThat(box.id).isEqualTo(kept.id));
    }

    @Test
    void aChangeTheGroupHasNotReadYetMakesTheWakeReadTheHostFirst() {
        DockerOrchestrator orchestrator = scaledUpAndDown(Map.of());
        // Another daemon started a replica of the group; its event came, the read it asked for has not run yet.
        Box other = engine.external("zs-web-other", Map.of(ContainerGroup.GROUP_LABEL, WEB.toString()), 8080, State.RUNNING);
        engine.emit(other, "start");

        orchestrator.scale(WEB, 1);
        assertThat(engine.calls).first().isEqualTo("list");
        assertThat(engine.calls).noneMatch(call -> call.startsWith("create"));
        executor.runAll();
        assertThat(live(engine)).singleElement().satisfies(box -> assertThat(box.id).isEqualTo(other.id));
    }

    @Test
    void aScaleRightAfterAnotherCountsTheReplicaTheFirstStartedBeforeAnyReadOfIt() {
        DockerOrchestrator orchestrator = scaledUpAndDown(Map.of());

        orchestrator.scale(WEB, 1);
        // No read has run since the first scale's create: the second must not create again.
        orchestrator.scale(WEB, 1);
        executor.runAll();
        assertThat(engine.calls).filteredOn(call -> call.startsWith("create")).hasSize(1);
        assertThat(live(engine)).hasSize(1);
    }

    @Test
    void aKeptContainerRemovedBetweenTheReadAndItsStartIsReplacedByACreate() {
        DockerOrchestrator orchestrator = scaledUpAndDown(Map.of("keep-stopped", 1));
        Box kept = engine.containers.values().iterator().next();
        // An event the group has not read yet: the wake reads first, and sees the container kept.
        engine.emit(kept, "rename");
        engine.beforeStart.put(kept.id, () -> engine.containers.remove(kept.id));

        orchestrator.scale(WEB, 1);
        assertThat(engine.calls.subList(0, 2)).containsExactly("list", "start " + kept.id);
        executor.runAll();
        assertThat(live(engine)).singleElement().satisfies(box -> {
            assertThat(box.id).isNotEqualTo(kept.id);
            assertThat(box.state).isEqualTo(State.RUNNING);
        });
        assertThat(events).filteredOn(e -> e instanceof WorkloadEvent.ReplicaStarted)
                .extracting(e -> ((WorkloadEvent.ReplicaStarted) e).tier()).containsExactly("created");
    }

    @Test
    void aKeptContainerStartedBetweenTheReadAndItsStartIsCountedNotDuplicated() {
        DockerOrchestrator orchestrator = scaledUpAndDown(Map.of("keep-stopped", 1));
        Box kept = engine.containers.values().iterator().next();
        engine.emit(kept, "rename");
        // Someone else starts it between the group's read and its start: the start answers 304.
        engine.beforeStart.put(kept.id, () -> kept.state = State.RUNNING);

        orchestrator.scale(WEB, 1);
        executor.runAll();
        assertThat(engine.calls).noneMatch(call -> call.startsWith("create"));
        assertThat(live(engine)).singleElement().satisfies(box -> assertThat(box.id).isEqualTo(kept.id));
    }
}
