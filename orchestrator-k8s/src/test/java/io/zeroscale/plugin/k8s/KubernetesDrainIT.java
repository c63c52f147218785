package io.zeroscale.plugin.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.ResourceProfile;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import io.zeroscale.testkit.TestPluginContext;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pods leaving a Deployment on the real control plane: the cluster's own removals (an eviction
 * through the Eviction API, a pod marked as a disruption target before it is deleted, a rollout)
 * announced with {@code Removing} while the engine can still drain them, never the orchestrator's
 * own scale-downs; {@code resize} written into the pod template once, GPUs included, and the
 * rollout it starts announced as such; the pod-order file pruned of pods deleted while no daemon
 * watched.
 */
class KubernetesDrainIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path data;
    private TestPluginContext context;
    private final List<KubernetesOrchestrator> created = new ArrayList<>();
    private final List<Subscription> subscriptions = new ArrayList<>();
    private String namespace;
    private KubernetesClient client;

    @BeforeEach
    void setUp() {
        client = ControlPlane.client();
        namespace = ControlPlane.namespace("drain");
        context = TestPluginContext.realTime(data);
    }

    @AfterEach
    void tearDown() {
        subscriptions.forEach(Subscription::close);
        created.forEach(KubernetesOrchestrator::close);
        context.close();
        ControlPlane.stopAll(namespace, TIMEOUT);
    }

    private KubernetesOrchestrator orchestrator() {
        KubernetesOrchestrator orchestrator = ControlPlane.orchestrator(context, Map.of());
        created.add(orchestrator);
        return orchestrator;
    }

    private List<WorkloadEvent> watch(KubernetesOrchestrator orchestrator, TargetRef target) {
        List<WorkloadEvent> events = new CopyOnWriteArrayList<>();
        subscriptions.add(orchestrator.watch(target, events::add));
        await("the first event").atMost(TIMEOUT).until(() -> !events.isEmpty());
        return events;
    }

    private ObservedState awaitPushed(List<WorkloadEvent> events, String what, java.util.function.Predicate<ObservedState> condition) {
        return await(what).atMost(TIMEOUT).pollInterval(Duration.ofMillis(20)).until(() -> lastState(events), condition);
    }

    /** A Deployment {@code name} attached, watched and scaled to 2, once both pods are ready. */
    private Watched runningAtTwo(String name) {
        Workload workload = ControlPlane.deployment(namespace, name);
        KubernetesOrchestrator orchestrator = orchestrator();
        orchestrator.attach(workload);
        List<WorkloadEvent> events = watch(orchestrator, workload.target());
        orchestrator.scale(workload.target(), 2);
        List<Endpoint> two = awaitPushed(events, "2 ready endpoints", s -> s.readyEndpoints().size() == 2).readyEndpoints();
        return new Watched(workload, orchestrator, events, two);
    }

    private record Watched(Workload workload, KubernetesOrchestrator orchestrator, List<WorkloadEvent> events,
            List<Endpoint> two) {}

    private Pod podAt(Endpoint endpoint) {
        return client.pods().inNamespace(namespace).list().getItems().stream()
                .filter(p -> endpoint.host().equals(p.getStatus().getPodIP())).findFirst().orElseThrow();
    }

    @Test
    void anEvictionIsAnnouncedBeforeThePodLeavesTheEndpointsAndOwnScaleDownsAreNot() {
        Watched watched = runningAtTwo("evicted");
        Workload workload = watched.workload();
        KubernetesOrchestrator orchestrator = watched.orchestrator();
        List<WorkloadEvent> events = watched.events();
        List<Endpoint> two = watched.two();
        Endpoint victim = two.get(0);
        Pod pod = podAt(victim);

        assertThat(client.pods().inNamespace(namespace).withName(pod.getMetadata().getName()).evict())
                .as("the Eviction API accepted the eviction").isTrue();

        WorkloadEvent.Removing removing = await("a Removing event for the evicted pod").atMost(TIMEOUT)
                .until(() -> removingOf(events, victim), r -> r != null);
        assertThat(removing.endpoints()).containsExactly(victim);
        assertThat(removing.reason()).contains(pod.getMetadata().getName());
        int announcedAt = events.indexOf(removing);
        assertThat(((WorkloadEvent.Changed) events.get(announcedAt - 1)).state().readyEndpoints())
                .as("the last state before the announcement still lists the pod: the engine can drain it").contains(victim);
        ObservedState replaced = awaitPushed(events, "the Deployment replaced the evicted pod",
                s -> s.readyEndpoints().size() == 2 && !s.readyEndpoints().contains(victim));
        assertThat(replaced.desiredReplicas()).as("an eviction does not change the count").isEqualTo(2);

        int before = events.size();
        orchestrator.scale(workload.target(), 0);
        awaitPushed(events, "no replica", s -> s.replicas() == 0);
        assertThat(events.subList(before, events.size())).as("events after the orchestrator's own scale to zero")
                .noneMatch(WorkloadEvent.Removing.class::isInstance);
    }

    @Test
    void aDisruptionTargetIsAnnouncedWhileThePodStillServesAndRemoveLeavesItToTheCluster() {
        Watched watched = runningAtTwo("tainted");
        Workload workload = watched.workload();
        KubernetesOrchestrator orchestrator = watched.orchestrator();
        List<WorkloadEvent> events = watched.events();
        List<Endpoint> two = watched.two();
        Endpoint victim = two.get(1);
        Pod pod = podAt(victim);

        // What the taint manager or the scheduler's preemption writes before they delete a pod
        // (conditions merge by type: Ready stays).
        String condition = client.getKubernetesSerialization().asJson(Map.of("status", Map.of("conditions", List.of(
                Map.of("type", "DisruptionTarget", "status", "True", "reason", "DeletionByTaintManager",
                        "message", "Taint manager: deleting due to NoExecute taint")))));
        client.pods().inNamespace(namespace).withName(pod.getMetadata().getName()).subresource("status")
                .patch(PatchContext.of(PatchType.STRATEGIC_MERGE), condition);

        WorkloadEvent.Removing removing = await("a Removing event for the disrupted pod").atMost(TIMEOUT)
                .until(() -> removingOf(events, victim), r -> r != null);
        assertThat(removing.reason()).contains("DeletionByTaintManager");
        assertThat(orchestrator.observe(workload.target()).readyEndpoints()).as("still ready: drained, not dropped")
                .contains(victim);

        // The engine releases it once drained: the cluster removes it, so the count stays.
        orchestrator.remove(workload.target(), List.of(victim));
        assertThat(client.apps().deployments().inNamespace(namespace).withName("tainted").get().getSpec().getReplicas())
                .as("spec.replicas after remove() of a pod the cluster removes").isEqualTo(2);
        assertThat(events).filteredOn(WorkloadEvent.Removing.class::isInstance).as("announced once").hasSize(1);
    }

    @Test
    void resizeWritesTheTemplateOnceWithGpusAndItsRolloutIsAnnouncedAsSuch() throws Exception {
        advertiseGpus(4);
        Watched watched = runningAtTwo("model");
        Workload workload = watched.workload();
        KubernetesOrchestrator orchestrator = watched.orchestrator();
        List<WorkloadEvent> events = watched.events();
        List<Endpoint> before = watched.two();

        ResourceProfile gpu = new ResourceProfile("gpu", 0.5, 256L * 1024 * 1024, 1);
        orchestrator.resize(workload.target(), gpu);

        ResourceRequirements resources = client.apps().deployments().inNamespace(namespace).withName("model").get()
                .getSpec().getTemplate().getSpec().getContainers().get(0).getResources();
        assertThat(resources.getRequests()).containsEntry("cpu", new Quantity("500m"))
                .containsEntry("memory", new Quantity("268435456"));
        assertThat(resources.getLimits()).containsEntry("nvidia.com/gpu", new Quantity("1"))
                .containsEntry("cpu", new Quantity("500m"));
        ObservedState rolled = awaitPushed(events, "two new pods ready after the rollout",
                s -> s.readyEndpoints().size() == 2 && s.replicas() == 2 && s.readyEndpoints().stream().noneMatch(before::contains));
        assertThat(rolled.desiredReplicas()).isEqualTo(2);
        assertThat(events).filteredOn(WorkloadEvent.Removing.class::isInstance)
                .as("each replaced pod announced as replaced by the rollout of the resize")
                .hasSize(2)
                .allSatisfy(e -> assertThat(((WorkloadEvent.Removing) e).reason())
                        .contains("replaced by a rollout").contains("profile 'gpu'"));
        for (Endpoint endpoint : rolled.readyEndpoints()) {
            assertThat(podAt(endpoint).getSpec().getContainers().get(0).getResources().getLimits())
                    .as("the new pod got the GPU").containsEntry("nvidia.com/gpu", new Quantity("1"));
        }

        String version = client.apps().deployments().inNamespace(namespace).withName("model").get().getMetadata()
                .getResourceVersion();
        orchestrator.resize(workload.target(), new ResourceProfile("gpu-again", 0.5, 268435456L, 1));
        assertThat(client.apps().deployments().inNamespace(namespace).withName("model").get().getMetadata()
                .getResourceVersion()).as("the same amounts again write nothing").isEqualTo(version);
    }

    @Test
    void theOrderFileForgetsPodsDeletedWhileNoDaemonWatched() throws Exception {
        Workload workload = ControlPlane.deployment(namespace, "ordered");
        KubernetesOrchestrator first = orchestrator();
        first.attach(workload);
        watch(first, workload.target());
        first.scale(workload.target(), 2);
        await("2 ready").atMost(TIMEOUT).until(() -> first.observe(workload.target()).readyEndpoints().size() == 2);
        first.close();
        assertThat(orderEntries()).as("both pods numbered in " + PodOrder.FILE).hasSize(2);

        // Deleted while no daemon runs: no informer hears of it.
        client.apps().deployments().inNamespace(namespace).withName("ordered").scale(0);
        await("the pods gone").atMost(TIMEOUT)
                .until(() -> client.pods().inNamespace(namespace).list().getItems().isEmpty());

        KubernetesOrchestrator next = orchestrator();
        next.attach(workload);
        watch(next, workload.target());
        await("the next daemon dropped the gone pods from " + PodOrder.FILE).atMost(TIMEOUT)
                .until(() -> orderEntries().isEmpty());
    }

    /** The entries of this test's namespace in the order file. */
    private List<String> orderEntries() throws Exception {
        Path file = data.resolve(PodOrder.FILE);
        Properties saved = new Properties();
        if (Files.exists(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                saved.load(in);
            }
        }
        return saved.stringPropertyNames().stream().filter(uid -> saved.getProperty(uid).endsWith(" " + namespace)).toList();
    }

    /** Adds {@code nvidia.com/gpu} to every fake node's capacity, as a device plugin advertises it. */
    private void advertiseGpus(int count) {
        String gpus = Integer.toString(count);
        String patch = client.getKubernetesSerialization().asJson(Map.of("status", Map.of(
                "capacity", Map.of("nvidia.com/gpu", gpus), "allocatable", Map.of("nvidia.com/gpu", gpus))));
        for (Node node : client.nodes().list().getItems()) {
            client.nodes().withName(node.getMetadata().getName()).subresource("status")
                    .patch(PatchContext.of(PatchType.STRATEGIC_MERGE), patch);
        }
    }

    private static WorkloadEvent.@Nullable Removing removingOf(List<WorkloadEvent> events, Endpoint endpoint) {
        for (WorkloadEvent event : events) {
            if (event instanceof WorkloadEvent.Removing r && r.endpoints().contains(endpoint)) {
                return r;
            }
        }
        return null;
    }

    private static @Nullable ObservedState lastState(List<WorkloadEvent> events) {
        for (int i = events.size() - 1; i >= 0; i--) {
            if (events.get(i) instanceof WorkloadEvent.Changed changed) {
                return changed.state();
            }
        }
        return null;
    }
}
