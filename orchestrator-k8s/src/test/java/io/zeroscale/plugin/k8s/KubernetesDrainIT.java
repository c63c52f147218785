package io.zeroscale.plugin.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
 * through the Eviction API, which marks the pod as a disruption target before it deletes it, a
 * delete, a rollout)
 * announced with {@code Removing} while the engine can still drain them, never the orchestrator's
 * own scale-downs; {@code resize} written into the pod template once, and the rollout it starts
 * announced as such; GPUs as the extended resource's limit; the pod-order file pruned of pods deleted while no daemon
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
        assertThat(removing.reason()).as("the condition the Eviction API sets before it deletes")
                .contains(pod.getMetadata().getName()).contains("EvictionByEvictionAPI");
        int announcedAt = events.indexOf(removing);
        assertThat(((WorkloadEvent.Changed) events.get(announcedAt - 1)).state().readyEndpoints())
                .as("the last state before the announcement still lists the pod: the engine can drain it").contains(victim);
        // By the pod, not its address: the pod network may give the replacement the evicted pod's IP.
        String evicted = pod.getMetadata().getName();
        ObservedState replaced = awaitPushed(events, "the Deployment replaced the evicted pod",
                s -> s.readyEndpoints().size() == 2
                        && client.pods().inNamespace(namespace).withName(evicted).get() == null);
        assertThat(replaced.desiredReplicas()).as("an eviction does not change the count").isEqualTo(2);

        int before = events.size();
        orchestrator.scale(workload.target(), 0);
        awaitPushed(events, "no replica", s -> s.replicas() == 0);
        assertThat(events.subList(before, events.size())).as("events after the orchestrator's own scale to zero")
                .noneMatch(WorkloadEvent.Removing.class::isInstance);
    }

    @Test
    void aDeletedPodIsAnnouncedAndRemovingItLeavesTheCountToTheCluster() {
        Watched watched = runningAtTwo("deleted");
        Workload workload = watched.workload();
        KubernetesOrchestrator orchestrator = watched.orchestrator();
        List<WorkloadEvent> events = watched.events();
        Endpoint victim = watched.two().get(1);
        String name = podAt(victim).getMetadata().getName();
        // A finalizer keeps the deleted pod terminating (kwok would remove it at once), as a kubelet
        // does for the grace period.
        String hold = "{\"metadata\":{\"finalizers\":[\"zeroscale.io/test-hold\"]}}";
        client.pods().inNamespace(namespace).withName(name).patch(PatchContext.of(PatchType.JSON_MERGE), hold);

        client.pods().inNamespace(namespace).withName(name).delete();

        WorkloadEvent.Removing removing = await("a Removing event for the deleted pod").atMost(TIMEOUT)
                .until(() -> removingOf(events, victim), r -> r != null);
        assertThat(removing.reason()).contains(name).contains("was deleted");
        // The engine releases it once drained: the cluster removes it, so the count stays.
        orchestrator.remove(workload.target(), List.of(victim));
        assertThat(client.apps().deployments().inNamespace(namespace).withName("deleted").get().getSpec().getReplicas())
                .as("spec.replicas after remove() of a pod the cluster removes").isEqualTo(2);
        ObservedState replaced = awaitPushed(events, "a replacement pod ready while the deleted one still terminates",
                s -> s.readyEndpoints().size() == 2 && !s.readyEndpoints().contains(victim));
        assertThat(replaced.replicas()).as("the terminating pod still counts: it exists").isEqualTo(3);
        assertThat(events).filteredOn(WorkloadEvent.Removing.class::isInstance).as("announced once").hasSize(1);
        client.pods().inNamespace(namespace).withName(name)
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"finalizers\":null}}");
        awaitPushed(events, "the deleted pod gone", s -> s.replicas() == 2);
    }

    @Test
    void resizeWritesTheTemplateOnceAndItsRolloutIsAnnouncedAsSuch() throws Exception {
        Watched watched = runningAtTwo("model");
        Workload workload = watched.workload();
        KubernetesOrchestrator orchestrator = watched.orchestrator();
        List<WorkloadEvent> events = watched.events();

        orchestrator.resize(workload.target(), new ResourceProfile("small", 0.5, 256L * 1024 * 1024, null));

        ResourceRequirements resources = container("model").getResources();
        assertThat(resources.getRequests()).containsEntry("cpu", new Quantity("500m"))
                .containsEntry("memory", new Quantity("268435456"));
        assertThat(resources.getLimits()).containsEntry("cpu", new Quantity("500m"))
                .containsEntry("memory", new Quantity("268435456"));
        // Checked: the replacement and its announcement, not the new pods' readiness (here, with a
        // load average of 20 on 2 cores, new pods went Ready=False with ContainersReady=True during
        // the minute-long rollout; the cause was not found).
        await("both original pods replaced").atMost(TIMEOUT).until(() -> client.pods().inNamespace(namespace).list().getItems(),
                pods -> pods.size() == 2 && pods.stream().allMatch(KubernetesDrainIT::isNew));
        assertThat(lastState(events).desiredReplicas()).isEqualTo(2);
        // Only a pod last listed as ready is announced (one that is not ready has nothing to drain), and
        // on this test network a pod's readiness can flap during the rollout: at least one announcement,
        // each naming the rollout of the resize.
        await("a replaced pod announced").atMost(TIMEOUT)
                .until(() -> events.stream().anyMatch(WorkloadEvent.Removing.class::isInstance));
        assertThat(events).filteredOn(WorkloadEvent.Removing.class::isInstance)
                .as("each announcement names the rollout of the resize")
                .allSatisfy(e -> assertThat(((WorkloadEvent.Removing) e).reason())
                        .contains("replaced by a rollout").contains("profile 'small'"));
        assertThat(client.pods().inNamespace(namespace).list().getItems()).as("the new pods' limits")
                .allSatisfy(p -> assertThat(p.getSpec().getContainers().get(0).getResources().getLimits())
                        .containsEntry("memory", new Quantity("268435456")));

        String version = resourceVersion("model");
        orchestrator.resize(workload.target(), new ResourceProfile("small-again", 0.5, 268435456L, null));
        assertThat(resourceVersion("model")).as("the same amounts again write nothing").isEqualTo(version);

        // GPUs as the extended resource's limit. At zero: the fake node advertises no GPU, so a pod
        // asking for one would stay pending (what a real scheduler does on a node without it).
        orchestrator.scale(workload.target(), 0);
        awaitPushed(events, "no replica", s -> s.replicas() == 0);
        orchestrator.resize(workload.target(), new ResourceProfile("gpu", null, null, 1));
        assertThat(container("model").getResources().getLimits()).containsEntry("nvidia.com/gpu", new Quantity("1"))
                .containsEntry("cpu", new Quantity("500m"));
        orchestrator.resize(workload.target(), new ResourceProfile("no-gpu", null, null, 0));
        assertThat(container("model").getResources().getLimits()).doesNotContainKey("nvidia.com/gpu");
    }

    /** A pod of the resized template (the original one has no limits). */
    private static boolean isNew(Pod pod) {
        var limits = pod.getSpec().getContainers().get(0).getResources().getLimits();
        return limits != null && limits.containsKey("memory");
    }

    private io.fabric8.kubernetes.api.model.Container container(String deployment) {
        return client.apps().deployments().inNamespace(namespace).withName(deployment).get()
                .getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    private String resourceVersion(String deployment) {
        return client.apps().deployments().inNamespace(namespace).withName(deployment).get().getMetadata().getResourceVersion();
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
