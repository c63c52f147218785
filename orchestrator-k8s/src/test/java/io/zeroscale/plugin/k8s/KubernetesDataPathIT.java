package io.zeroscale.plugin.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import io.zeroscale.testkit.PodNetwork;
import io.zeroscale.testkit.TestPluginContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Out of the data path when warm ({@code data-path: bypass-when-warm}) on the real control plane,
 * with the calls in the order the engine makes them ({@code GatewayBypass}): the Service's
 * EndpointSlices are the evidence (this control plane has no kube-proxy). At zero they list the
 * gateway; warm, the ready pods (and each answers at the listed address); sent to the gateway, they
 * list it before the scale to zero, which never runs while they list pods; and a wake from there
 * lists the new pod again.
 */
class KubernetesDataPathIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    /** Stand-ins for the daemons' gateway pods (no traffic is sent to them). */
    private static final String GATEWAY_A = "10.250.0.1";
    private static final String GATEWAY_B = "10.250.0.2";
    private static final int GATEWAY_PORT = 8085;

    @TempDir
    Path data;
    private TestPluginContext context;
    private final List<KubernetesOrchestrator> created = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private String namespace;
    private KubernetesClient client;

    @BeforeEach
    void setUp() {
        client = ControlPlane.client();
        namespace = ControlPlane.namespace("datapath");
        context = TestPluginContext.realTime(data);
        ControlPlane.gatewayService(namespace, "zeroscale-gateway", GATEWAY_PORT, GATEWAY_A);
    }

    @AfterEach
    void tearDown() {
        created.forEach(KubernetesOrchestrator::close);
        context.close();
        http.close();
        ControlPlane.stopAll(namespace, TIMEOUT);
    }

    private KubernetesOrchestrator orchestrator() {
        KubernetesOrchestrator orchestrator = ControlPlane.orchestrator(context,
                Map.of("gateway", Map.of("service", "zeroscale-gateway", "namespace", namespace)));
        created.add(orchestrator);
        return orchestrator;
    }

    @Test
    void theServiceListsThePodsWhileWarmAndTheGatewayBeforeTheDrainAndAtZero() throws Exception {
        Workload workload = ControlPlane.bypassingDeployment(namespace, "web");
        TargetRef web = workload.target();
        KubernetesOrchestrator orchestrator = orchestrator();
        orchestrator.attach(workload);
        assertThat(orchestrator.bypassesGateway(web)).isTrue();
        List<ObservedState> events = new CopyOnWriteArrayList<>();
        Subscription subscription = orchestrator.watch(web, e -> {
            if (e instanceof WorkloadEvent.Changed changed) {
                events.add(changed.state());
            }
        });
        try {
            // At zero (the engine's first decision holds): the Service's clients reach the gateway.
            orchestrator.sendThroughGateway(web);
            assertThat(slice()).as("at zero").satisfies(s -> lists(s, "gateway", GATEWAY_PORT, GATEWAY_A));

            // A request through the gateway wakes it (scale 1); while it starts, the gateway still.
            orchestrator.scale(web, 1);
            ObservedState one = await("one ready endpoint").atMost(TIMEOUT).until(() -> last(events),
                    s -> s != null && s.readyEndpoints().size() == 1);
            Endpoint pod = one.readyEndpoints().get(0);
            assertThat(pod.port()).as("the endpoints are the pods' own, not the slice's").isEqualTo(ControlPlane.CONTAINER_PORT);
            assertThat(slice()).as("woken, before the engine forwards").satisfies(s -> lists(s, "gateway", GATEWAY_PORT, GATEWAY_A));

            // Warm (the engine forwards): the pods, which answer at the listed address.
            orchestrator.sendDirect(web);
            assertThat(slice()).as("warm").satisfies(s -> lists(s, "pods", ControlPlane.CONTAINER_PORT, pod.host()));
            assertThat(get(slice())).isEqualTo(running().getFirst().name() + "\n");

            // Pods that become ready while warm are listed without another call (pushed from the informers).
            orchestrator.scale(web, 2);
            ObservedState two = await("two ready endpoints").atMost(TIMEOUT).until(() -> last(events),
                    s -> s.readyEndpoints().size() == 2);
            await("both pods listed").atMost(TIMEOUT).untilAsserted(() -> assertThat(slice()).satisfies(s -> lists(s, "pods",
                    ControlPlane.CONTAINER_PORT, two.readyEndpoints().stream().map(Endpoint::host).toArray(String[]::new))));
            assertThat(orchestrator.observe(web).readyEndpoints()).as("observe reads the pods, not the slice")
                    .containsExactlyElementsOf(two.readyEndpoints());

            // Idle: the engine sends the clients to the gateway, then drains, then scales to zero.
            orchestrator.sendThroughGateway(web);
            assertThat(slice()).as("before the drain starts").satisfies(s -> lists(s, "gateway", GATEWAY_PORT, GATEWAY_A));
            assertThat(running()).as("the pods still run while the gateway drains them").hasSize(2);
            orchestrator.scale(web, 0);
            await("the pods' processes stopped").atMost(TIMEOUT).until(() -> running().isEmpty());
            assertThat(slice()).as("at zero").satisfies(s -> lists(s, "gateway", GATEWAY_PORT, GATEWAY_A));

            // The gateway's own pods change: the slice follows.
            ControlPlane.gatewayEndpoints(namespace, "zeroscale-gateway", GATEWAY_PORT, GATEWAY_A, GATEWAY_B);
            await("the new gateway endpoint listed").atMost(TIMEOUT).untilAsserted(() -> assertThat(slice())
                    .satisfies(s -> lists(s, "gateway", GATEWAY_PORT, GATEWAY_A, GATEWAY_B)));

            // The next request through the gateway wakes it; warm again, the new pod is listed.
            assertThat(orchestrator.wakeIfZero(web)).isTrue();
            ObservedState woken = await("woken again").atMost(TIMEOUT).until(() -> last(events),
                    s -> s.readyEndpoints().size() == 1);
            orchestrator.sendDirect(web);
            assertThat(slice()).satisfies(s -> lists(s, "pods", ControlPlane.CONTAINER_PORT, woken.readyEndpoints().get(0).host()));
        } finally {
            subscription.close();
        }
    }

    @Test
    void aScaleToZeroSendsTheClientsToTheGatewayFirst() {
        Workload workload = ControlPlane.bypassingDeployment(namespace, "api");
        TargetRef api = workload.target();
        KubernetesOrchestrator orchestrator = orchestrator();
        orchestrator.attach(workload);
        orchestrator.scale(api, 1);
        await("one ready endpoint").atMost(TIMEOUT).until(() -> orchestrator.observe(api).readyEndpoints().size() == 1);
        orchestrator.sendDirect(api);
        assertThat(slice("api")).satisfies(s -> assertThat(s.getMetadata().getLabels()).containsEntry(DataPath.PATH_LABEL, "pods"));

        orchestrator.scale(api, 0); // no sendThroughGateway before it (a failed switch, another automaton)

        EndpointSlice after = slice("api");
        lists(after, "gateway", GATEWAY_PORT, GATEWAY_A);
        long sliceWritten = Long.parseLong(after.getMetadata().getResourceVersion());
        var deployment = client.apps().deployments().inNamespace(namespace).withName("api").get();
        assertThat(deployment.getSpec().getReplicas()).isZero();
        // One etcd: resource versions are its revisions, so this orders the two writes.
        assertThat(sliceWritten).as("the slice listed the gateway before the scale to zero was written")
                .isLessThan(Long.parseLong(deployment.getMetadata().getResourceVersion()));
    }

    @Test
    void refusalsNameTheKey() {
        // A Service with a selector: the cluster would list the pods even at zero.
        ControlPlane.deployment(namespace, "selected");
        Workload selected = new Workload(new TargetRef(ControlPlane.ORCHESTRATOR, "Deployment", namespace, "selected"),
                Config.of("targets.selected.workload", Map.of("service", "selected", "data-path", "bypass-when-warm")));
        KubernetesOrchestrator orchestrator = orchestrator();
        assertThatThrownBy(() -> orchestrator.attach(selected)).hasMessageContaining("targets (" + selected.target()
                + ").workload.service").hasMessageContaining("remove spec.selector");

        // No gateway: block on the orchestrator.
        Workload workload = ControlPlane.bypassingDeployment(namespace, "nogw");
        KubernetesOrchestrator without = ControlPlane.orchestrator(context, Map.of());
        created.add(without);
        assertThatThrownBy(() -> without.attach(workload)).hasMessageContaining("workload.data-path")
                .hasMessageContaining("orchestrators.k8s.gateway");
    }

    /** Asserts that {@code slice} lists {@code path} with exactly {@code addresses} at {@code port}. */
    private static void lists(EndpointSlice slice, String path, int port, String... addresses) {
        assertThat(slice.getMetadata().getLabels()).containsEntry(DataPath.PATH_LABEL, path)
                .containsEntry(DataPath.MANAGED_BY_LABEL, DataPath.MANAGED_BY);
        assertThat(slice.getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getName()).isEqualTo("http");
            assertThat(p.getPort()).isEqualTo(port);
        });
        assertThat(DataPath.addresses(slice)).containsExactlyInAnyOrder(addresses);
    }

    private EndpointSlice slice() {
        return slice("web");
    }

    /** The one EndpointSlice of Service {@code service}: the cluster makes none for a Service without a selector. */
    private EndpointSlice slice(String service) {
        List<EndpointSlice> slices = client.discovery().v1().endpointSlices().inNamespace(namespace)
                .withLabel("kubernetes.io/service-name", service).list().getItems();
        assertThat(slices).as("the slices of Service %s", service).hasSize(1);
        return slices.getFirst();
    }

    private String get(EndpointSlice slice) throws Exception {
        String address = slice.getEndpoints().getFirst().getAddresses().getFirst();
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://" + address + ":"
                + slice.getPorts().getFirst().getPort() + "/")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    private List<PodNetwork.PodProcess> running() {
        return ControlPlane.peer().podNetwork().running().stream().filter(p -> p.namespace().equals(namespace)).toList();
    }

    private static @org.jspecify.annotations.Nullable ObservedState last(List<ObservedState> events) {
        return events.isEmpty() ? null : events.get(events.size() - 1);
    }
}
