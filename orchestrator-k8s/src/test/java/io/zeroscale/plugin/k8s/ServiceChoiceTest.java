package io.zeroscale.plugin.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.TargetRef;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServiceChoiceTest {
    private static final Map<String, String> POD_LABELS = Map.of("app", "web", "tier", "front");

    private static WorkloadSpec spec(Map<String, Object> settings) {
        return WorkloadSpec.parse(new TargetRef("k8s", "Deployment", "ml", "web"), Config.of("targets.web.workload", settings), "default");
    }

    private static Service service(String name, Map<String, String> selector, String... portNames) {
        ServiceBuilder builder = new ServiceBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withSelector(selector).endSpec();
        int port = 80;
        for (String portName : portNames) {
            builder.editSpec().addToPorts(new ServicePortBuilder().withName(portName.isEmpty() ? null : portName)
                    .withPort(port).withTargetPort(new IntOrString(8000 + port)).build()).endSpec();
            port++;
        }
        return builder.build();
    }

    @Test
    void theOneServiceSelectingThePodsIsChosen() {
        ServiceChoice choice = ServiceChoice.choose(spec(Map.of()), POD_LABELS, List.of(
                service("web", Map.of("app", "web"), ""),
                service("other", Map.of("app", "other"), ""),
                service("narrower", Map.of("app", "web", "tier", "back"), "")));

        assertThat(choice).isEqualTo(new ServiceChoice("web", ""));
    }

    @Test
    void noServiceMeansNoEndpoints() {
        assertThat(ServiceChoice.choose(spec(Map.of()), POD_LABELS, List.of(service("other", Map.of("app", "x"), "")))).isNull();
        assertThat(ServiceChoice.choose(spec(Map.of("service", "missing")), POD_LABELS, List.of())).isNull();
    }

    @Test
    void severalMatchingServicesAreRefusedWithTheirNames() {
        assertThatThrownBy(() -> ServiceChoice.choose(spec(Map.of()), POD_LABELS, List.of(
                service("web", Map.of("app", "web"), ""), service("web-admin", Map.of("tier", "front"), ""))))
                .hasMessageContaining("targets (k8s/Deployment/ml/web).workload.service")
                .hasMessageContaining("[web, web-admin]")
                .hasMessageContaining("service: web");
        assertThat(ServiceChoice.choose(spec(Map.of("service", "web-admin")), POD_LABELS, List.of(
                service("web", Map.of("app", "web"), ""), service("web-admin", Map.of("tier", "front"), "admin"))))
                .isEqualTo(new ServiceChoice("web-admin", "admin"));
    }

    @Test
    void severalPortsNeedOneNamedByNameOrNumber() {
        List<Service> services = List.of(service("web", Map.of("app", "web"), "http", "metrics"));
        assertThatThrownBy(() -> ServiceChoice.choose(spec(Map.of()), POD_LABELS, services))
                .hasMessageContaining("workload.port")
                .hasMessageContaining("has 2 ports [http (80), metrics (81)]");
        assertThat(ServiceChoice.choose(spec(Map.of("port", "metrics")), POD_LABELS, services).portName()).isEqualTo("metrics");
        assertThat(ServiceChoice.choose(spec(Map.of("port", 81)), POD_LABELS, services).portName()).as("service port number")
                .isEqualTo("metrics");
        assertThat(ServiceChoice.choose(spec(Map.of("port", 8080)), POD_LABELS, services).portName()).as("target port number")
                .isEqualTo("http");
        assertThatThrownBy(() -> ServiceChoice.choose(spec(Map.of("port", "grpc")), POD_LABELS, services))
                .hasMessageContaining("has no port 'grpc'");
    }
}
