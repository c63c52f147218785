package io.zeroscale.plugin.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.events.EngineEvent;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import io.zeroscale.spi.traffic.Routing;
import io.zeroscale.testkit.TestPluginContext;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Start failures and Events on the real control plane. The fake nodes have no kubelet, so a
 * container's crash loop, image pull failure or OOM kill is written into the pod's status by the
 * test, as the kubelet would write it; the engine's events are played by the test's plugin context.
 */
class KubernetesFailuresIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path data;
    private TestPluginContext context;
    private KubernetesOrchestrator orchestrator;
    private String namespace;
    private KubernetesClient client;

    @BeforeEach
    void setUp() {
        client = ControlPlane.client();
        namespace = ControlPlane.namespace("failures");
        context = TestPluginContext.realTime(data);
        orchestrator = ControlPlane.orchestrator(context, Map.of());
    }

    @AfterEach
    void tearDown() {
        orchestrator.close();
        context.close();
        ControlPlane.stopAll(namespace, TIMEOUT);
    }

    @Test
    void crashLoopImagePullAndOomKillOfAStartingPodAreReportedOnceEachWithReasonAndOutput() {
        Workload workload = ControlPlane.deployment(namespace, "crashy");
        orchestrator.attach(workload);
        List<WorkloadEvent> events = new CopyOnWriteArrayList<>();
        Subscription subscription = orchestrator.watch(workload.target(), events::add);
        try {
            await("the first event").atMost(TIMEOUT).until(() -> !events.isEmpty());
            orchestrator.scale(workload.target(), 1);
            await("the pod ready").atMost(TIMEOUT).until(() -> lastState(events), s -> s != null && s.readyReplicas() == 1);
            String pod = onlyPod("crashy");
            assertThat(failures(events)).as("a ready pod has failed nothing").isEmpty();

            // The container exits with status 1 and the kubelet holds its restart back.
            status(pod, false, crashLoop("containerd://c1", 1, "Error", 1, "starting\npanic: DATABASE_URL is not set\n"));
            WorkloadEvent.ReplicaFailed crash = await("the crash reported").atMost(TIMEOUT)
                    .until(() -> failures(events), f -> f.size() == 1).get(0);
            assertThat(crash.replica()).isEqualTo(pod);
            assertThat(crash.reason()).contains("pod " + pod + " container app exited with status 1 (Error)")
                    .contains("CrashLoopBackOff, 1 restarts");
            assertThat(crash.output()).as("the termination message's lines (the log's tail with FallbackToLogsOnError)")
                    .containsExactly("starting", "panic: DATABASE_URL is not set");
            int index = events.indexOf(crash);
            assertThat(events.subList(index, events.size())).as("a Changed follows the failure")
                    .anySatisfy(e -> assertThat(e).isInstanceOf(WorkloadEvent.Changed.class));

            // The same exit seen again (the kubelet restarts it: running, not ready yet) is not a second failure.
            status(pod, false, running("containerd://c1", 2));
            // The second exit is.
            status(pod, false, crashLoop("containerd://c2", 137, "OOMKilled", 2, ""));
            WorkloadEvent.ReplicaFailed oom = await("the OOM kill reported").atMost(TIMEOUT)
                    .until(() -> failures(events), f -> f.size() == 2).get(1);
            assertThat(oom.reason()).contains("was killed for exceeding its memory limit (OOMKilled, exit status 137)");
            assertThat(oom.output()).as("no termination message; the fake node serves no log").isEmpty();

            // An image that cannot be pulled: each attempt (ErrImagePull, then ImagePullBackOff) is one failure.
            status(pod, false, waiting("ErrImagePull", "rpc error: pull access denied for zeroscale/httpd:test"));
            await("the pull failure reported").atMost(TIMEOUT).until(() -> failures(events), f -> f.size() == 3);
            status(pod, false, waiting("ImagePullBackOff", "Back-off pulling image \"zeroscale/httpd:test\""));
            List<WorkloadEvent.ReplicaFailed> all = await("the pull backoff reported").atMost(TIMEOUT)
                    .until(() -> failures(events), f -> f.size() == 4);
            assertThat(all.get(2).reason()).isEqualTo("pod " + pod + " container app cannot start: ErrImagePull"
                    + " (image zeroscale/httpd:test): rpc error: pull access denied for zeroscale/httpd:test");
            assertThat(all.get(3).reason()).startsWith("pod " + pod + " container app cannot start: ImagePullBackOff");

            // Ready again: nothing more, whatever its last state says.
            status(pod, true, running("containerd://c3", 3));
            await("ready again").atMost(TIMEOUT).until(() -> lastState(events), s -> s != null && s.readyReplicas() == 1);
            assertThat(failures(events)).hasSize(4);
        } finally {
            subscription.close();
        }
    }

    @Test
    void stateChangesBecomeEventsOnTheDeploymentOnlyFromTheLeaderAndRepeatsAreCounted() {
        Workload workload = ControlPlane.deployment(namespace, "web");
        orchestrator.attach(workload);
        List<WorkloadEvent> seen = new CopyOnWriteArrayList<>();
        Subscription subscription = orchestrator.watch(workload.target(), seen::add);
        try {
            await("the caches listed").atMost(TIMEOUT).until(() -> !seen.isEmpty());
            TargetRef target = workload.target();
            String uid = client.apps().deployments().inNamespace(namespace).withName("web").get().getMetadata().getUid();

            // A follower's decisions and journal entries write nothing.
            context.publish(decided(target, "ZERO", "WAKING", 1, "a request is held", false));
            context.publish(journalled(target, "OPERATOR", "override to 2 replicas until 13:00 by alice"));

            context.publish(decided(target, "ZERO", "WAKING", 1, "a request is held", true));
            orchestrator.scale(target, 1);
            context.publish(decided(target, "WAKING", "ACTIVE", 1, "a replica is ready", true));
            // A step of target tracking: the count changes, the state does not.
            context.publish(decided(target, "ACTIVE", "ACTIVE", 2, "target tracking: 2 replicas for 14 requests", true));
            for (int i = 0; i < 3; i++) {
                context.publish(journalled(target, "OPERATOR", "override to 2 replicas until 13:00 by alice"));
            }
            context.publish(journalled(target, "START_FAILURES", "replica web-1 exited with status 1; 1 failed start"));
            context.publish(journalled(target, "DECISION", "target tracking: 2 replicas"));
            context.publish(decided(target, "ACTIVE", "DRAINING", 0, "idle for 5m", true));
            orchestrator.scale(target, 0);
            context.publish(decided(target, "DRAINING", "ZERO", 0, "drained", true));
            // Another orchestrator's target: not ours to write.
            context.publish(decided(new TargetRef("other", "Deployment", namespace, "web"), "ZERO", "WAKING", 1, "x", true));

            List<Event> written = await("the Events written, the repeat counted").atMost(TIMEOUT)
                    .until(() -> events("web"), e -> e.size() == 6 && e.stream().anyMatch(x -> x.getSeries() != null));
            assertThat(written).extracting(Event::getReason)
                    .containsExactly("Waking", "Active", "OperatorAction", "StartFailed", "Draining", "Zero");
            assertThat(written).extracting(Event::getType)
                    .containsExactly("Normal", "Normal", "Normal", "Warning", "Normal", "Normal");
            assertThat(written).allSatisfy(e -> {
                assertThat(e.getReportingInstance()).isNotBlank();
                assertThat(e.getRegarding().getKind()).isEqualTo("Deployment");
                assertThat(e.getRegarding().getApiVersion()).isEqualTo("apps/v1");
                assertThat(e.getRegarding().getUid()).isEqualTo(uid);
            });
            assertThat(written.get(0).getNote()).isEqualTo("ZERO -> WAKING: a request is held (replicas 1)");
            Event override = written.get(2);
            assertThat(override.getSeries().getCount()).as("three equal overrides: one Event, counted").isEqualTo(3);
            assertThat(written.stream().filter(e -> e != override)).allSatisfy(e -> assertThat(e.getSeries()).isNull());
            assertThat(events("web")).as("nothing else follows").hasSize(6);
        } finally {
            subscription.close();
        }
    }

    /** This plugin's Events about {@code name}, in the order written. */
    private List<Event> events(String name) {
        List<Event> out = new ArrayList<>(client.events().v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> name.equals(e.getRegarding().getName()))
                .filter(e -> WorkloadEvents.CONTROLLER.equals(e.getReportingController())) // not the Deployment controller's
                .toList());
        // In the order written: the names carry the time in hex, kept increasing by the writer.
        out.sort((a, b) -> a.getMetadata().getName().compareTo(b.getMetadata().getName()));
        return out;
    }

    private static EngineEvent.Decided decided(TargetRef target, String from, String to, int replicas, String reason, boolean leader) {
        return new EngineEvent.Decided(Instant.now(), target, from, to,
                Decision.of(replicas, replicas == 0 ? Routing.HOLD : Routing.FORWARD, reason), leader);
    }

    private static EngineEvent.Journalled journalled(TargetRef target, String kind, String message) {
        return new EngineEvent.Journalled(Instant.now(), target, kind, "ACTIVE", 1, Routing.FORWARD, message);
    }

    private String onlyPod(String app) {
        List<Pod> pods = client.pods().inNamespace(namespace).withLabel("app", app).list().getItems();
        assertThat(pods).hasSize(1);
        return pods.get(0).getMetadata().getName();
    }

    private static List<WorkloadEvent.ReplicaFailed> failures(List<WorkloadEvent> events) {
        return events.stream().filter(WorkloadEvent.ReplicaFailed.class::isInstance).map(WorkloadEvent.ReplicaFailed.class::cast).toList();
    }

    private static ObservedState lastState(List<WorkloadEvent> events) {
        ObservedState last = null;
        for (WorkloadEvent e : events) {
            if (e instanceof WorkloadEvent.Changed changed) {
                last = changed.state();
            }
        }
        return last;
    }

    private static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }

    private static Map<String, Object> container(int restarts, boolean ready) {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("name", "app");
        status.put("image", "zeroscale/httpd:test");
        status.put("imageID", "");
        status.put("ready", ready);
        status.put("restartCount", restarts);
        return status;
    }

    /** Waiting in CrashLoopBackOff after the container {@code id} terminated (as the kubelet writes it). */
    private static Map<String, Object> crashLoop(String id, int exitCode, String reason, int restarts, String message) {
        Map<String, Object> status = container(restarts, false);
        status.put("state", Map.of("waiting", Map.of("reason", "CrashLoopBackOff",
                "message", "back-off 10s restarting failed container=app")));
        Map<String, Object> terminated = new LinkedHashMap<>(Map.of("exitCode", exitCode, "reason", reason, "containerID", id,
                "startedAt", now(), "finishedAt", now()));
        if (!message.isEmpty()) {
            terminated.put("message", message);
        }
        status.put("lastState", Map.of("terminated", terminated));
        return status;
    }

    private static Map<String, Object> running(String previous, int restarts) {
        Map<String, Object> status = container(restarts, false);
        status.put("state", Map.of("running", Map.of("startedAt", now())));
        status.put("lastState", Map.of("terminated", Map.of("exitCode", 1, "reason", "Error", "containerID", previous,
                "startedAt", now(), "finishedAt", now())));
        return status;
    }

    private static Map<String, Object> waiting(String reason, String message) {
        Map<String, Object> status = container(0, false);
        status.put("state", Map.of("waiting", Map.of("reason", reason, "message", message)));
        return status;
    }

    /** Writes the pod's status as the kubelet would: its readiness and its one container's status. */
    private void status(String pod, boolean ready, Map<String, Object> container) {
        String value = ready ? "True" : "False";
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("conditions", List.of(
                Map.of("type", "Ready", "status", value, "lastTransitionTime", now()),
                Map.of("type", "ContainersReady", "status", value, "lastTransitionTime", now())));
        if (ready) {
            container.put("ready", true);
        }
        status.put("containerStatuses", List.of(container));
        client.pods().inNamespace(namespace).withName(pod).subresource("status")
                .patch(PatchContext.of(PatchType.STRATEGIC_MERGE), client.getKubernetesSerialization().asJson(Map.of("status", status)));
    }
}
