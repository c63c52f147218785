package io.zeroscale.plugin.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.targets.TargetChange;
import io.zeroscale.spi.targets.TargetListener;
import io.zeroscale.testkit.ResourceStatus;
import io.zeroscale.testkit.TestPluginContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ScaledTarget source on the real control plane, for what the daemon's ITs cannot see: a
 * resource the engine refused is not offered to it again until its spec changes (a new
 * generation). Its own status write, a label and an annotation all update the resource without
 * changing the generation; none of them is a retry.
 */
class ScaledTargetsIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    Path data;

    @Test
    void aRefusedResourceIsNotRetriedUntilItsSpecChanges() throws Exception {
        RbacIT.installCrd(ControlPlane.client());
        String namespace = ControlPlane.namespace("refused");
        List<String> offered = new CopyOnWriteArrayList<>();
        AtomicBoolean refuse = new AtomicBoolean(true);
        // The engine's part: every change is offered here, and refused while refuse is set.
        TargetListener engine = (TargetChange change) -> {
            offered.add(change.origin());
            if (refuse.get()) {
                throw new ZeroscaleException(StandardErrorCode.CONFIG_INVALID, "spec.policy.idle: refused by the test");
            }
        };
        try (TestPluginContext context = TestPluginContext.realTime(data);
                ScaledTargets source = (ScaledTargets) new ScaledTargetsFactory().create("refused", Config.of("target-sources.refused",
                        Map.of("type", "kubernetes", "kubeconfig", ControlPlane.peer().kubeconfig().toString(), "namespace", namespace,
                                "orchestrator", ControlPlane.ORCHESTRATOR)), context)) {
            source.subscribe(engine);
            await("the watch started").atMost(TIMEOUT).until(() -> source.started().isDone());
            var resources = ControlPlane.client().genericKubernetesResources(ScaledTargets.CONTEXT).inNamespace(namespace);
            resources.resource(new GenericKubernetesResourceBuilder().withApiVersion("zeroscale.io/v1alpha1").withKind("ScaledTarget")
                    .withNewMetadata().withName("web").endMetadata()
                    .addToAdditionalProperties("spec", Map.of("workload", Map.of("kind", "Deployment"))).build()).create();
            Resource<GenericKubernetesResource> web = resources.withName("web");
            await("generation 1 refused, in its status").atMost(TIMEOUT)
                    .until(() -> "False".equals(ResourceStatus.condition(web.get(), "Ready").get("status")));
            assertThat(ResourceStatus.condition(web.get(), "Ready")).containsEntry("reason", "Invalid")
                    .containsEntry("message", "spec.policy.idle: refused by the test");

            // Updates that leave the generation at 1: the status write above, a label, an annotation.
            web.patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"labels\":{\"team\":\"shop\"}}}");
            web.patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"annotations\":{\"note\":\"still refused\"}}}");
            assertThat(web.get().getMetadata().getGeneration()).isEqualTo(1);

            // A new spec (generation 2) is offered again. Informer events are handled one at a
            // time in order, so had any update before it been retried, it would stand before it.
            refuse.set(false);
            web.patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"policy\":{\"idle\":\"1m\"}}}");
            await("generation 2 applied").atMost(TIMEOUT)
                    .until(() -> "True".equals(ResourceStatus.condition(web.get(), "Ready").get("status")));
            assertThat(offered).as("what the engine was offered").containsExactly(
                    "ScaledTarget " + namespace + "/web created", "ScaledTarget " + namespace + "/web created");
            assertThat(ResourceStatus.of(web.get())).containsEntry("observedGeneration", 2);
        }
    }
}
