package io.zeroscale.plugin.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.TargetRef;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkloadSpecTest {
    private static Config workload(Map<String, Object> values) {
        return Config.of("targets.web.workload", values);
    }

    @Test
    void builtInKindsNeedNoApiVersionAndNoDiscovery() {
        WorkloadSpec spec = WorkloadSpec.parse(new TargetRef("k8s", "StatefulSet", null, "db"), workload(Map.of()), "apps");

        assertThat(spec.apiVersion()).isEqualTo("apps/v1");
        assertThat(spec.namespace()).as("the orchestrator's default namespace").isEqualTo("apps");
        assertThat(spec.builtInContext()).isNotNull();
        assertThat(spec.builtInContext().getPlural()).isEqualTo("statefulsets");
        assertThat(spec.builtInContext().getGroup()).isEqualTo("apps");
    }

    @Test
    void otherKindsNeedAnApiVersion() {
        assertThatThrownBy(() -> WorkloadSpec.parse(new TargetRef("k8s", "Rollout", "ml", "web"), workload(Map.of()), "default"))
                .hasMessageContaining("targets.web.workload.api-version")
                .hasMessageContaining("required for kind 'Rollout'");
        WorkloadSpec spec = WorkloadSpec.parse(new TargetRef("k8s", "Rollout", "ml", "web"),
                workload(Map.of("api-version", "argoproj.io/v1alpha1")), "default");
        assertThat(spec.builtInContext()).as("discovered from the API server instead").isNull();
        assertThat(spec.namespace()).isEqualTo("ml");
    }

    @Test
    void serviceAndPortAreChecked() {
        TargetRef ref = new TargetRef("k8s", "Deployment", "ml", "web");
        assertThat(WorkloadSpec.parse(ref, workload(Map.of("service", "web-svc", "port", "http")), "default").port()).isEqualTo("http");
        assertThat(WorkloadSpec.parse(ref, workload(Map.of("port", 8080)), "default").port()).isEqualTo("8080");
        assertThatThrownBy(() -> WorkloadSpec.parse(ref, workload(Map.of("port", 70000)), "default"))
                .hasMessageContaining("targets.web.workload.port");
        assertThatThrownBy(() -> WorkloadSpec.parse(ref, workload(Map.of("service", "Web Svc")), "default"))
                .hasMessageContaining("targets.web.workload.service");
        assertThatThrownBy(() -> WorkloadSpec.parse(ref, workload(Map.of("replicas", 3)), "default"))
                .hasMessageContaining("replicas");
    }

    @Test
    void containerAndGpuResourceAreChecked() {
        TargetRef ref = new TargetRef("k8s", "Deployment", "ml", "web");
        WorkloadSpec defaults = WorkloadSpec.parse(ref, workload(Map.of()), "default");
        assertThat(defaults.container()).as("the template's only container").isNull();
        assertThat(defaults.gpuResource()).isEqualTo("nvidia.com/gpu");
        WorkloadSpec set = WorkloadSpec.parse(ref, workload(Map.of("container", "model", "gpu-resource", "amd.com/gpu")), "default");
        assertThat(set.container()).isEqualTo("model");
        assertThat(set.gpuResource()).isEqualTo("amd.com/gpu");
        assertThatThrownBy(() -> WorkloadSpec.parse(ref, workload(Map.of("gpu-resource", "gpu")), "default"))
                .hasMessageContaining("targets.web.workload.gpu-resource").hasMessageContaining("domain/name");
        assertThatThrownBy(() -> WorkloadSpec.parse(ref, workload(Map.of("container", "Model_1")), "default"))
                .hasMessageContaining("targets.web.workload.container");
    }

    @Test
    void dataPathIsOptInAndNeedsTheService() {
        TargetRef ref = new TargetRef("k8s", "Deployment", "ml", "web");
        assertThat(WorkloadSpec.parse(ref, workload(Map.of()), "default").bypassWhenWarm()).as("the default").isFalse();
        assertThat(WorkloadSpec.parse(ref, workload(Map.of("data-path", "through-gateway")), "default").bypassWhenWarm())
                .isFalse();
        assertThat(WorkloadSpec.parse(ref, workload(Map.of("data-path", "bypass-when-warm", "service", "web")), "default")
                .bypassWhenWarm()).isTrue();
        assertThatThrownBy(() -> WorkloadSpec.parse(ref, workload(Map.of("data-path", "direct", "service", "web")), "default"))
                .hasMessageContaining("targets.web.workload.data-path").hasMessageContaining("'direct'")
                .hasMessageContaining("bypass-when-warm");
        assertThatThrownBy(() -> WorkloadSpec.parse(ref, workload(Map.of("data-path", "bypass-when-warm")), "default"))
                .hasMessageContaining("targets.web.workload.service").hasMessageContaining("without a selector");
    }
}
