package io.zeroscale.plugin.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.model.Container;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The stopped tier against the real engine (Podman's Docker API): a scale-down keeps the container
 * created but stopped, the next scale-up starts that same container (no create), and each start
 * is announced with its tier. Readiness comes from the default TCP probe on its startup interval.
 */
class StoppedTierIT {
    private static final Duration READY = Duration.ofSeconds(60);

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final List<WorkloadEvent> events = new CopyOnWriteArrayList<>();
    private final List<DockerOrchestrator> opened = new ArrayList<>();
    private Workload workload;

    @BeforeEach
    void start() {
        Podman.require();
        // Default readiness (a TCP probe of the published port), so the startup probe is what decides.
        workload = Podman.httpd(Podman.uniqueName("stopped"), Map.of("keep-stopped", 1, "readiness", Map.of("tcp", true)));
    }

    @AfterEach
    void stop() {
        opened.forEach(DockerOrchestrator::close);
        Podman.removeAll(workload.target());
        http.close();
    }

    private DockerOrchestrator attached() {
        DockerOrchestrator orchestrator = Podman.orchestrator(Map.of());
        opened.add(orchestrator);
        orchestrator.attach(workload);
        orchestrator.watch(workload.target(), events::add);
        return orchestrator;
    }

    private ObservedState awaitPushed(String what, Predicate<ObservedState> condition) {
        return await(what).atMost(READY).pollInterval(Duration.ofMillis(20)).until(() -> {
            for (int i = events.size() - 1; i >= 0; i--) {
                if (events.get(i) instanceof WorkloadEvent.Changed changed) {
                    return changed.state();
                }
            }
            return null;
        }, s -> s != null && condition.test(s));
    }

    /** The starts announced once {@code count} have arrived: announcements and state changes are delivered apart. */
    private List<WorkloadEvent.ReplicaStarted> starts(int count) {
        return await("announced starts").atMost(READY).pollInterval(Duration.ofMillis(20))
                .until(this::starts, list -> list.size() >= count);
    }

    private List<WorkloadEvent.ReplicaStarted> starts() {
        return events.stream().filter(e -> e instanceof WorkloadEvent.ReplicaStarted)
                .map(e -> (WorkloadEvent.ReplicaStarted) e).toList();
    }

    private int get(Endpoint endpoint) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + endpoint + "/")).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void aScaleDownKeepsTheContainerStoppedAndTheWakeStartsThatSameContainer() throws Exception {
        DockerOrchestrator orchestrator = attached();
        awaitPushed("the current state first", s -> s.replicas() == 0);

        orchestrator.scale(workload.target(), 1);
        ObservedState one = awaitPushed("one ready endpoint", s -> s.readyEndpoints().size() == 1);
        assertThat(get(one.readyEndpoints().get(0))).isEqualTo(200);
        Container created = Podman.containersOf(workload.target()).get(0);
        assertThat(starts(1)).extracting(WorkloadEvent.ReplicaStarted::tier).containsExactly("created");

        orchestrator.scale(workload.target(), 0);
        awaitPushed("no replicas", s -> s.replicas() == 0 && s.readyEndpoints().isEmpty());
        await("the container kept, stopped").atMost(READY).pollInterval(Duration.ofMillis(50))
                .until(() -> Podman.containersOf(workload.target()), cs -> cs.size() == 1 && cs.get(0).getState().equals("exited"));
        assertThat(Podman.containersOf(workload.target()).get(0).getId()).isEqualTo(created.getId());
        assertThat(events).noneMatch(e -> e instanceof WorkloadEvent.ReplicaFailed);

        orchestrator.scale(workload.target(), 1);
        ObservedState again = awaitPushed("ready again", s -> s.readyEndpoints().size() == 1);
        assertThat(get(again.readyEndpoints().get(0))).isEqualTo(200);
        assertThat(Podman.containersOf(workload.target())).singleElement().satisfies(c -> {
            assertThat(c.getId()).as("the same container, started, not a new one").isEqualTo(created.getId());
            assertThat(c.getState()).isEqualTo("running");
        });
        assertThat(starts(2)).extracting(WorkloadEvent.ReplicaStarted::tier).containsExactly("created", "stopped");
        assertThat(starts().get(1).replica()).isEqualTo(created.getNames()[0].replaceFirst("^/", ""));
    }

    @Test
    void aRestartedOrchestratorFindsTheKeptContainerAndStartsIt() {
        DockerOrchestrator first = attached();
        first.scale(workload.target(), 1);
        awaitPushed("one ready endpoint", s -> s.readyEndpoints().size() == 1);
        String id = Podman.containersOf(workload.target()).get(0).getId();
        first.scale(workload.target(), 0);
        await("the container kept, stopped").atMost(READY).pollInterval(Duration.ofMillis(50))
                .until(() -> Podman.containersOf(workload.target()), cs -> cs.size() == 1 && cs.get(0).getState().equals("exited"));
        first.close();
        events.clear();

        DockerOrchestrator second = attached();
        assertThat(Podman.containersOf(workload.target())).as("adoption keeps it").singleElement()
                .satisfies(c -> assertThat(c.getId()).isEqualTo(id));
        second.scale(workload.target(), 1);
        awaitPushed("ready from the kept container", s -> s.readyEndpoints().size() == 1);
        assertThat(Podman.containersOf(workload.target())).singleElement().satisfies(c -> assertThat(c.getId()).isEqualTo(id));
        assertThat(starts(1)).extracting(WorkloadEvent.ReplicaStarted::tier).containsExactly("stopped");
    }

    /** Ids whose events {@link #losingEvents()}'s orchestrator never hears, as if its event stream had dropped them. */
    private final Set<String> unheard = ConcurrentHashMap.newKeySet();
    /** Done to a container (on Podman, by someone else) just before the orchestrator's next start of it. */
    private final Map<String, Runnable> beforeStart = new ConcurrentHashMap<>();

    /**
     * An orchestrator over Podman whose event stream loses the events of the containers in {@link
     * #unheard}, and whose start of a container first runs what {@link #beforeStart} holds for it.
     */
    private DockerOrchestrator losingEvents() {
        DockerEngine real = new DockerJavaEngine(Podman.HOST, Duration.ofSeconds(30));
        DockerEngine engine = (DockerEngine) Proxy.newProxyInstance(DockerEngine.class.getClassLoader(),
                new Class<?>[] {DockerEngine.class}, (proxy, method, args) -> {
                    if (method.getName().equals("events")) {
                        @SuppressWarnings("unchecked")
                        Consumer<DockerEngine.EngineEvent> heard = (Consumer<DockerEngine.EngineEvent>) args[1];
                        Consumer<DockerEngine.EngineEvent> filtered = event -> {
                            if (!unheard.contains(event.containerId())) {
                                heard.accept(event);
                            }
                        };
                        args[1] = filtered;
                    } else if (method.getName().equals("start")) {
                        Runnable first = beforeStart.remove((String) args[0]);
                        if (first != null) {
                            first.run();
                        }
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        DockerOrchestrator orchestrator = new DockerOrchestrator("docker",
                new DockerConfig(List.of(Podman.HOST), Duration.ofSeconds(30), Duration.ofHours(1)), List.of(engine),
                new NetworkProbe(Podman.context().blockingExecutor()), Podman.context());
        opened.add(orchestrator);
        orchestrator.attach(workload);
        orchestrator.watch(workload.target(), events::add);
        return orchestrator;
    }

    /** Up, then down with its container kept stopped, whose events the orchestrator no longer hears; returns its id. */
    private String keptAfterUpAndDown(DockerOrchestrator orchestrator) {
        orchestrator.scale(workload.target(), 1);
        awaitPushed("one ready endpoint", s -> s.readyEndpoints().size() == 1);
        String id = Podman.containersOf(workload.target()).get(0).getId();
        unheard.add(id);
        orchestrator.scale(workload.target(), 0);
        awaitPushed("no replicas", s -> s.replicas() == 0 && s.readyEndpoints().isEmpty());
        await("the container kept, stopped").atMost(READY).pollInterval(Duration.ofMillis(50))
                .until(() -> Podman.containersOf(workload.target()), cs -> cs.size() == 1 && cs.get(0).getState().equals("exited"));
        // Podman lists it exited before its stop call returns: the group keeps it only once that call ended.
        assertThat(orchestrator.awaitStops(workload.target(), READY)).as("the group's stop ended").isTrue();
        orchestrator.observe(workload.target());
        return id;
    }

    @Test
    void aWakeWhoseKeptContainerWasJustRemovedCreatesOneInstead() throws Exception {
        DockerOrchestrator orchestrator = losingEvents();
        String kept = keptAfterUpAndDown(orchestrator);
        beforeStart.put(kept, () -> Podman.client().removeContainerCmd(kept).withForce(true).exec());
        events.clear();

        // The group still counts it kept; its start finds it gone (404), so the group reads and creates.
        orchestrator.scale(workload.target(), 1);
        ObservedState again = awaitPushed("ready from a new container", s -> s.readyEndpoints().size() == 1);
        assertThat(get(again.readyEndpoints().get(0))).isEqualTo(200);
        assertThat(Podman.containersOf(workload.target())).singleElement().satisfies(c -> {
            assertThat(c.getId()).isNotEqualTo(kept);
            assertThat(c.getState()).isEqualTo("running");
        });
        assertThat(starts(1)).extracting(WorkloadEvent.ReplicaStarted::tier).containsExactly("created");
    }

    @Test
    void aWakeWhoseKeptContainerWasJustStartedBySomeoneElseCreatesNothing() throws Exception {
        DockerOrchestrator orchestrator = losingEvents();
        String kept = keptAfterUpAndDown(orchestrator);
        beforeStart.put(kept, () -> Podman.client().startContainerCmd(kept).exec());

        // Its start answers "already started" (304), so the group reads and finds the one replica wanted.
        orchestrator.scale(workload.target(), 1);
        ObservedState again = awaitPushed("ready from the kept container", s -> s.readyEndpoints().size() == 1);
        assertThat(get(again.readyEndpoints().get(0))).isEqualTo(200);
        assertThat(Podman.containersOf(workload.target())).singleElement().satisfies(c -> assertThat(c.getId()).isEqualTo(kept));
    }
}
