package io.zeroscale.plugin.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.ObservedState;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatesTest {
    private static final KubernetesSerialization JSON = new KubernetesSerialization();
    private static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");

    @TempDir
    Path data;

    private static GenericKubernetesResource deployment(Integer replicas) {
        GenericKubernetesResource d = new GenericKubernetesResource();
        d.setApiVersion("apps/v1");
        d.setKind("Deployment");
        java.util.Map<String, Object> spec = new java.util.HashMap<>();
        if (replicas != null) {
            spec.put("replicas", replicas);
        }
        spec.put("selector", Map.of("matchLabels", Map.of("app", "web")));
        d.setAdditionalProperty("spec", spec);
        return d;
    }

    private static Pod pod(String name, String created, Map<String, String> labels, boolean ready, boolean terminating, String phase) {
        return new PodBuilder()
                .withNewMetadata().withName(name).withUid("uid-" + name).withCreationTimestamp(created).withLabels(labels)
                    .withDeletionTimestamp(terminating ? "2026-12-06T12:00:00Z" : null).endMetadata()
                .withNewStatus().withPhase(phase).addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
                .endStatus()
                .build();
    }

    private static EndpointSlice slice(String portName, Pod... pods) {
        EndpointSliceBuilder builder = new EndpointSliceBuilder().withNewMetadata().withName("web-abc").endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName(portName).withPort(8080).withProtocol("TCP").endPort();
        int i = 1;
        for (Pod pod : pods) {
            builder.addNewEndpoint().withAddresses("10.0.0." + i++)
                    .withNewConditions().withReady(States.isReady(pod)).withTerminating(pod.getMetadata().getDeletionTimestamp() != null)
                    .endConditions()
                    .withNewTargetRef().withKind("Pod").withName(pod.getMetadata().getName()).withUid(pod.getMetadata().getUid())
                    .endTargetRef()
                    .endEndpoint();
        }
        return builder.build();
    }

    @Test
    void countsFollowThePodsAndEndpointsOnlyReadyOnesOldestFirst() {
        Map<String, String> web = Map.of("app", "web");
        Pod newest = pod("web-c", "2026-12-06T11:00:02Z", web, true, false, "Running");
        Pod oldest = pod("web-z", "2026-12-06T11:00:00Z", web, true, false, "Running");
        Pod starting = pod("web-s", "2026-12-06T11:00:03Z", web, false, false, "Running");
        Pod leaving = pod("web-t", "2026-12-06T10:00:00Z", web, true, true, "Running");
        Pod done = pod("web-d", "2026-12-06T10:00:00Z", web, false, false, "Succeeded");
        Pod stranger = pod("db-0", "2026-12-06T09:00:00Z", Map.of("app", "db"), true, false, "Running");
        List<Pod> pods = List.of(newest, oldest, starting, leaving, done, stranger);

        ObservedState state = States.compute(JSON, deployment(3), pods,
                List.of(slice("", newest, oldest, starting, leaving)), "", PodOrder.load(data).comparator(), NOW);

        assertThat(state.desiredReplicas()).isEqualTo(3);
        assertThat(state.replicas()).as("web-c, web-z, web-s and the terminating web-t; not the finished or the stranger").isEqualTo(4);
        assertThat(state.readyReplicas()).isEqualTo(2);
        assertThat(state.readyEndpoints()).as("oldest first").containsExactly(new Endpoint("10.0.0.2", 8080), new Endpoint("10.0.0.1", 8080));
        assertThat(state.observedAt()).isEqualTo(NOW);
    }

    @Test
    void anEndpointWhosePodIsGoneOrAnotherPortIsNotListed() {
        Map<String, String> web = Map.of("app", "web");
        Pod a = pod("web-a", "2026-12-06T11:00:00Z", web, true, false, "Running");
        Pod gone = pod("web-gone", "2026-12-06T11:00:00Z", web, true, false, "Running");

        ObservedState state = States.compute(JSON, deployment(null), List.of(a), List.of(slice("", a, gone)), "", PodOrder.load(data).comparator(), NOW);
        assertThat(state.desiredReplicas()).as("unset replicas default to 1").isEqualTo(1);
        assertThat(state.readyEndpoints()).containsExactly(new Endpoint("10.0.0.1", 8080));

        ObservedState otherPort = States.compute(JSON, deployment(1), List.of(a), List.of(slice("metrics", a)), "", PodOrder.load(data).comparator(), NOW);
        assertThat(otherPort.readyEndpoints()).isEmpty();
        assertThat(otherPort.readyReplicas()).as("ready without a Service endpoint").isEqualTo(1);
    }

    @Test
    void podsCreatedInTheSameSecondAreOrderedAsFirstSeenAcrossRestarts() {
        Map<String, String> web = Map.of("app", "web");
        Pod first = pod("web-z", "2026-12-06T11:00:00Z", web, true, false, "Running");
        Pod second = pod("web-a", "2026-12-06T11:00:00Z", web, true, false, "Running");
        PodOrder order = PodOrder.load(data);
        order.see(first);
        order.see(second);
        order.save();

        PodOrder restarted = PodOrder.load(data);
        ObservedState state = States.compute(JSON, deployment(2), List.of(second, first), List.of(slice("", second, first)), "",
                restarted.comparator(), NOW);
        assertThat(state.readyEndpoints()).as("web-z first: seen first, although its name sorts last")
                .containsExactly(new Endpoint("10.0.0.2", 8080), new Endpoint("10.0.0.1", 8080));
    }

    @Test
    void aStatefulSetListsItsLowestOrdinalFirstWhateverThePodsAge() {
        Map<String, String> web = Map.of("app", "web");
        // web-0 was evicted and re-created: the youngest pod, still the last one a scale-down takes.
        Pod zero = pod("web-0", "2026-12-06T11:00:09Z", web, true, false, "Running");
        Pod one = pod("web-1", "2026-12-06T11:00:00Z", web, true, false, "Running");
        Pod two = pod("web-2", "2026-12-06T11:00:00Z", web, true, false, "Running");
        two.getMetadata().setLabels(Map.of("app", "web", States.POD_INDEX, "2"));
        WorkloadSpec sts = new WorkloadSpec(new io.zeroscale.spi.TargetRef("k8s", "StatefulSet", "ns", "web"), "ns",
                "apps/v1", null, null);
        WorkloadSpec deploy = new WorkloadSpec(new io.zeroscale.spi.TargetRef("k8s", "Deployment", "ns", "web"), "ns",
                "apps/v1", null, null);
        PodOrder order = PodOrder.load(data);
        List<Pod> pods = List.of(two, zero, one);
        EndpointSlice slice = slice("", zero, one, two);

        ObservedState ordinals = States.compute(JSON, deployment(3), pods, List.of(slice), "", States.order(sts, order), NOW);
        ObservedState ages = States.compute(JSON, deployment(3), pods, List.of(slice), "", States.order(deploy, order), NOW);

        assertThat(ordinals.readyEndpoints()).as("StatefulSet: by ordinal").containsExactly(
                new Endpoint("10.0.0.1", 8080), new Endpoint("10.0.0.2", 8080), new Endpoint("10.0.0.3", 8080));
        assertThat(ages.readyEndpoints()).as("Deployment: oldest first").last().isEqualTo(new Endpoint("10.0.0.1", 8080));
        assertThat(States.ordinal(sts, pod("web-x", "2026-12-06T11:00:00Z", web, true, false, "Running"))).isNull();
    }

    @Test
    void theOrderFileForgetsPodsThatNoLongerExistInANamespaceListedInFull() {
        Pod kept = pod("web-a", "2026-12-06T11:00:00Z", Map.of(), true, false, "Running");
        Pod gone = pod("web-b", "2026-12-06T11:00:00Z", Map.of(), true, false, "Running");
        Pod elsewhere = pod("web-c", "2026-12-06T11:00:00Z", Map.of(), true, false, "Running");
        kept.getMetadata().setNamespace("ml");
        gone.getMetadata().setNamespace("ml");
        elsewhere.getMetadata().setNamespace("other");
        PodOrder order = PodOrder.load(data);
        order.see(kept);
        order.see(gone);
        order.see(elsewhere);
        order.save();

        PodOrder restarted = PodOrder.load(data);
        assertThat(restarted.prune("ml", java.util.Set.of("uid-web-a"))).as("dropped in ml").isEqualTo(1);
        restarted.save();

        PodOrder again = PodOrder.load(data);
        assertThat(again.size()).as("web-a and the other namespace's web-c kept").isEqualTo(2);
        assertThat(again.prune("other", java.util.Set.of("uid-web-c"))).isZero();
        assertThat(again.prune("ml", java.util.Set.of("uid-web-a"))).isZero();
    }

    @Test
    void selectorsMatchLikeTheApiServer() {
        var selector = new LabelSelectorBuilder().addToMatchLabels("app", "web")
                .addNewMatchExpression().withKey("tier").withOperator("In").withValues("front", "edge").endMatchExpression()
                .addNewMatchExpression().withKey("canary").withOperator("DoesNotExist").endMatchExpression()
                .build();
        assertThat(Selectors.matches(selector, Map.of("app", "web", "tier", "edge"))).isTrue();
        assertThat(Selectors.matches(selector, Map.of("app", "web", "tier", "back"))).isFalse();
        assertThat(Selectors.matches(selector, Map.of("app", "web", "tier", "front", "canary", "yes"))).isFalse();
        assertThat(Selectors.matches(new LabelSelectorBuilder().build(), Map.of("app", "web"))).as("empty selects nothing").isFalse();
    }
}
