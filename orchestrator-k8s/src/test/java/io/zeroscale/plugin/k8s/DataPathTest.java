package io.zeroscale.plugin.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.TargetRef;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DataPathTest {
    private static final WorkloadSpec SPEC = new WorkloadSpec(new TargetRef("k8s", "Deployment", "ml", "web"), "ml",
            "apps/v1", "web", null, null, WorkloadSpec.DEFAULT_GPU_RESOURCE, true);

    private static Service service(Map<String, String> selector, IntOrString targetPort) {
        return new ServiceBuilder().withNewMetadata().withName("web").withNamespace("ml").withUid("svc-uid").endMetadata()
                .withNewSpec().withSelector(selector).addNewPort().withName("http").withPort(80).withTargetPort(targetPort)
                .endPort().endSpec().build();
    }

    private static Pod pod(String name, String ip, boolean ready, boolean terminating) {
        return new PodBuilder()
                .withNewMetadata().withName(name).withUid("uid-" + name)
                    .withDeletionTimestamp(terminating ? "2026-12-06T12:00:00Z" : null).endMetadata()
                .withNewSpec().withNodeName("kwok-node").addNewContainer().withName("app").addNewPort().withName("web")
                    .withContainerPort(8081).endPort().endContainer().endSpec()
                .withNewStatus().withPodIP(ip).addNewCondition().withType("Ready").withStatus(ready ? "True" : "False")
                    .endCondition().endStatus()
                .build();
    }

    private static EndpointSlice gatewaySlice(String name, int port, String... readyThenNot) {
        EndpointSliceBuilder builder = new EndpointSliceBuilder().withNewMetadata().withName(name).endMetadata()
                .withAddressType("IPv4").addNewPort().withName("http").withPort(port).withProtocol("TCP").endPort();
        for (String address : readyThenNot) {
            boolean ready = !address.startsWith("!");
            builder.addNewEndpoint().withAddresses(ready ? address : address.substring(1))
                    .withNewConditions().withReady(ready).endConditions().endEndpoint();
        }
        return builder.build();
    }

    @Test
    void podsContentsListTheReadyPodsInTheirOrderAtTheTargetPort() {
        ServicePort numbered = service(Map.of(), new IntOrString(8080)).getSpec().getPorts().get(0);
        List<Pod> pods = List.of(pod("web-a", "10.0.0.7", true, false), pod("web-b", "10.0.0.3", false, false),
                pod("web-c", "10.0.0.9", true, true), pod("web-d", "10.0.0.5", true, false));

        DataPath.Contents contents = DataPath.pods(pods, numbered);

        assertThat(contents.path()).isEqualTo(DataPath.Path.PODS);
        assertThat(contents.port()).isEqualTo(8080);
        assertThat(contents.addresses()).extracting(DataPath.Address::ip).containsExactly("10.0.0.7", "10.0.0.5");

        ServicePort named = service(Map.of(), new IntOrString("web")).getSpec().getPorts().get(0);
        assertThat(DataPath.pods(pods, named).port()).as("a named target port is the container's").isEqualTo(8081);
        assertThat(DataPath.pods(List.of(pod("web-b", "10.0.0.3", false, false)), numbered))
                .as("no ready pod: nothing to list").isNull();
    }

    @Test
    void gatewayContentsListItsReadyEndpointsAtItsPort() {
        List<EndpointSlice> slices = List.of(gatewaySlice("gw-1", 8080, "10.1.0.2", "!10.1.0.9"),
                gatewaySlice("gw-2", 8080, "10.1.0.1"));

        DataPath.Contents contents = DataPath.gateway(slices, null);

        assertThat(contents.path()).isEqualTo(DataPath.Path.GATEWAY);
        assertThat(contents.port()).isEqualTo(8080);
        assertThat(contents.addresses()).extracting(DataPath.Address::ip).containsExactly("10.1.0.1", "10.1.0.2");
        assertThat(DataPath.gateway(slices, "http").port()).isEqualTo(8080);
        assertThat(DataPath.gateway(slices, "8080").port()).isEqualTo(8080);
        assertThat(DataPath.gateway(slices, "admin")).as("no such port").isNull();
        assertThat(DataPath.gateway(List.of(gatewaySlice("gw", 8080, "!10.1.0.9")), null)).as("none ready").isNull();
    }

    @Test
    void theSliceIsTheServicesOwnedByItAndMarkedAsZeroscales() {
        Service service = service(Map.of(), new IntOrString(8080));
        Pod a = pod("web-a", "10.0.0.7", true, false);
        EndpointSlice slice = DataPath.slice(service, "http", DataPath.pods(List.of(a), service.getSpec().getPorts().get(0)));

        assertThat(slice.getMetadata().getName()).isEqualTo("web-zeroscale");
        assertThat(slice.getMetadata().getNamespace()).isEqualTo("ml");
        assertThat(slice.getMetadata().getLabels()).containsEntry("kubernetes.io/service-name", "web")
                .containsEntry("endpointslice.kubernetes.io/managed-by", "orchestrator-k8s.zeroscale.io")
                .containsEntry("zeroscale.io/data-path", "pods");
        assertThat(slice.getMetadata().getOwnerReferences()).singleElement()
                .satisfies(owner -> assertThat(owner.getUid()).isEqualTo("svc-uid"));
        assertThat(slice.getPorts()).singleElement().satisfies(port -> {
            assertThat(port.getName()).isEqualTo("http");
            assertThat(port.getPort()).isEqualTo(8080);
        });
        assertThat(slice.getEndpoints()).singleElement().satisfies(e -> {
            assertThat(e.getAddresses()).containsExactly("10.0.0.7");
            assertThat(e.getTargetRef().getName()).isEqualTo("web-a");
            assertThat(e.getConditions().getReady()).isTrue();
        });

        EndpointSlice gateway = DataPath.slice(service, "http",
                DataPath.gateway(List.of(gatewaySlice("gw", 8443, "10.1.0.1")), null));
        assertThat(gateway.getMetadata().getLabels()).containsEntry("zeroscale.io/data-path", "gateway");
        assertThat(DataPath.addresses(gateway)).containsExactly("10.1.0.1");
        assertThat(gateway.getPorts().get(0).getPort()).isEqualTo(8443);
        assertThat(gateway.getEndpoints().get(0).getTargetRef()).isNull();

        assertThat(DataPath.same(slice, DataPath.slice(service, "http", DataPath.pods(List.of(a),
                service.getSpec().getPorts().get(0))))).as("the same contents: no write").isTrue();
        assertThat(DataPath.same(slice, gateway)).isFalse();
        assertThat(DataPath.same(null, gateway)).isFalse();
    }

    @Test
    void aServiceWithASelectorIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> DataPath.check(SPEC, service(Map.of("app", "web"), new IntOrString(8080))))
                .hasMessageContaining("targets (" + SPEC.target() + ").workload.service")
                .hasMessageContaining("remove spec.selector");
        DataPath.check(SPEC, service(Map.of(), new IntOrString(8080)));
    }

    @Test
    void theGatewayBlockIsReadStrictly() {
        DataPath.Gateway gateway = DataPath.Gateway.parse(Config.of("orchestrators.cluster.gateway",
                Map.of("service", "zeroscale-gateway")), "zeroscale");
        assertThat(gateway).isEqualTo(new DataPath.Gateway("zeroscale-gateway", "zeroscale", null));
        assertThat(DataPath.Gateway.parse(Config.of("g", Map.of("service", "gw", "namespace", "ops", "port", 8080)), "x"))
                .isEqualTo(new DataPath.Gateway("gw", "ops", "8080"));
        assertThatThrownBy(() -> DataPath.Gateway.parse(Config.of("orchestrators.cluster.gateway", Map.of()), "x"))
                .hasMessageContaining("orchestrators.cluster.gateway.service").hasMessageContaining("required");
        assertThatThrownBy(() -> DataPath.Gateway.parse(Config.of("orchestrators.cluster.gateway",
                Map.of("service", "gw", "port", 0)), "x"))
                .hasMessageContaining("orchestrators.cluster.gateway.port");
        assertThatThrownBy(() -> DataPath.Gateway.parse(Config.of("orchestrators.cluster.gateway",
                Map.of("service", "gw", "ports", "http")), "x"))
                .hasMessageContaining("ports");
    }
}
