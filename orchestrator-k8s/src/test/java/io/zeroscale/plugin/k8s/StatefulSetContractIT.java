package io.zeroscale.plugin.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.orchestrator.Drainable;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Workload;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The shared orchestrator contract for a StatefulSet (pods started in parallel, a headless Service
 * with a named port), on the real control plane. A StatefulSet scaled down removes its highest
 * ordinals, which its ready endpoints list last: the contract's drain removes that one, and a
 * request to remove another is refused here.
 */
class StatefulSetContractIT extends KubernetesContract {
    @Override
    protected Workload create(String namespace, String name) {
        return ControlPlane.statefulSet(namespace, name);
    }

    @Override
    protected Endpoint replicaToRemove(List<Endpoint> readyOldestFirst) {
        return readyOldestFirst.get(readyOldestFirst.size() - 1);
    }

    @Test
    void removingAnythingButTheHighestOrdinalsIsRefusedAndChangesNothing() throws Exception {
        Drainable drainable = (Drainable) orchestrator();
        orchestrator().scale(target(), 3);
        List<Endpoint> three = awaitReady(orchestrator(), 3).readyEndpoints();
        // Not the resourceVersion: the StatefulSet controller's status updates change it too.
        String written = writtenParts();

        assertThatThrownBy(() -> drainable.remove(target(), List.of(three.get(0))))
                .isInstanceOfSatisfying(ZeroscaleException.class, e -> assertThat(e.errorCode())
                        .isEqualTo(KubernetesErrorCode.CANNOT_REMOVE))
                .hasMessageContaining("highest ordinals only")
                .hasMessageContaining("removing " + target().name() + "-0 would take " + target().name() + "-2");
        assertThatThrownBy(() -> drainable.remove(target(), List.of(three.get(0), three.get(2))))
                .hasMessageContaining("would take " + target().name() + "-1, " + target().name() + "-2");
        assertThat(writtenParts()).as("a refused removal writes nothing").isEqualTo(written);

        drainable.remove(target(), List.of(three.get(1), three.get(2)));
        ObservedState one = awaitState(orchestrator(), "only " + target().name() + "-0 left",
                s -> s.replicas() == 1 && s.readyEndpoints().equals(List.of(three.get(0))));
        assertThat(one.desiredReplicas()).as("desired after removing the two highest ordinals").isEqualTo(1);
        assertAnswersHttp(three.get(0));
    }

    /** What a write by the orchestrator would change: the spec (its generation) and the annotations. */
    private String writtenParts() {
        var metadata = ControlPlane.client().apps().statefulSets().inNamespace(target().namespace())
                .withName(target().name()).get().getMetadata();
        return "generation " + metadata.getGeneration() + ", annotations " + metadata.getAnnotations();
    }
}
