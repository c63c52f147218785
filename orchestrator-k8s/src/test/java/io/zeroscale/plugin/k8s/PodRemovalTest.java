package io.zeroscale.plugin.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.spi.orchestrator.ResourceProfile;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PodRemovalTest {
    @Test
    void theCountDropsOnceForEachChosenPod() {
        // desired, live, staying, newly chosen
        assertThat(PodRemoval.replicasAfter(3, 3, 2, 1)).as("3 running, one chosen").isEqualTo(2);
        assertThat(PodRemoval.replicasAfter(2, 3, 1, 1))
                .as("a second pod chosen while the first still terminates: the count drops again").isEqualTo(1);
        assertThat(PodRemoval.replicasAfter(2, 3, 2, 1))
                .as("a scale made after a failed attempt already took it: no second drop").isEqualTo(2);
        assertThat(PodRemoval.replicasAfter(3, 2, 1, 1))
                .as("a pod still being created is not taken with the chosen one").isEqualTo(2);
        assertThat(PodRemoval.replicasAfter(0, 1, 0, 1)).as("never below zero").isZero();
    }

    @Test
    void aStatefulSetGivesUpItsHighestOrdinalsOnly() {
        assertThat(PodRemoval.statefulSetRefusal("db", 0, 3, List.of(2))).isNull();
        assertThat(PodRemoval.statefulSetRefusal("db", 0, 3, List.of(1, 2))).isNull();
        assertThat(PodRemoval.statefulSetRefusal("db", 5, 2, List.of(6))).as("spec.ordinals.start 5").isNull();
        assertThat(PodRemoval.statefulSetRefusal("db", 0, 3, List.of(0)))
                .contains("removing db-0 would take db-2 instead");
        assertThat(PodRemoval.statefulSetRefusal("db", 0, 3, List.of(0, 2))).contains("would take db-1, db-2");
    }

    @Test
    void aProfileBecomesRequestsAndLimitsAndSameAmountsCompareEqual() {
        Map<String, Object> current = Map.of("requests", Map.of("cpu", "1", "ephemeral-storage", "1Gi"),
                "limits", Map.of("nvidia.com/gpu", "2"), "claims", List.of());
        Map<String, Object> wanted = Resources.apply(current, new ResourceProfile("small", 0.25, 512L << 20, null),
                "nvidia.com/gpu");

        assertThat(wanted).containsEntry("requests", Map.of("cpu", "250m", "memory", "536870912", "ephemeral-storage", "1Gi"))
                .containsEntry("limits", Map.of("cpu", "250m", "memory", "536870912", "nvidia.com/gpu", "2"))
                .containsEntry("claims", List.of());
        assertThat(Resources.same(current, wanted)).isFalse();
        assertThat(Resources.same(Map.of("limits", Map.of("cpu", "1", "memory", "512Mi")),
                Map.of("limits", Map.of("cpu", "1000m", "memory", "536870912")))).as("1 = 1000m, 512Mi = its bytes").isTrue();
        assertThat(Resources.apply(wanted, new ResourceProfile("no-gpu", null, null, 0), "nvidia.com/gpu"))
                .as("zero GPUs removes the resource").extractingByKey("limits")
                .isEqualTo(Map.of("cpu", "250m", "memory", "536870912"));
        assertThat(Resources.apply(null, new ResourceProfile("gpu", null, null, 1), "amd.com/gpu"))
                .isEqualTo(Map.of("limits", Map.of("amd.com/gpu", "1")));
        assertThat(Resources.cpu(2.0)).isEqualTo("2");
        assertThat(Resources.cpu(0.0001)).as("at least a millicore").isEqualTo("1m");
    }
}
