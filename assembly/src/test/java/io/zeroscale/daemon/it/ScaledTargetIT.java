package io.zeroscale.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.zeroscale.daemon.Daemon;
import io.zeroscale.daemon.config.ConfigLoader;
import io.zeroscale.daemon.config.DaemonConfig;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.testkit.ResourceStatus;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Operator mode on a real control plane, with the daemon and the kubernetes plugin from the built
 * distribution and the committed CRD: a {@code ScaledTarget} created is a live target (a request
 * through the gateway wakes its Deployment) with its status filled from the engine; a changed
 * policy applies (idle 10m to 1s: the target goes to zero); an invalid one is refused with a
 * condition naming the field under {@code spec}, in the words {@code zeroscale validate} uses, and
 * the previous policy stays; a deleted resource removes the target and leaves the Deployment as it is.
 */
class ScaledTargetIT extends OnKubernetes {
    static final ResourceDefinitionContext SCALED_TARGETS = new ResourceDefinitionContext.Builder().withGroup("zeroscale.io")
            .withVersion("v1alpha1").withKind("ScaledTarget").withPlural("scaledtargets").withNamespaced(true).build();
    private static final String NS = "crd";
    private static final String TARGET = NS + ".web";

    /** Applies the committed CRD and waits until the API server serves it. */
    static void installCrd(KubernetesClient k8s) throws Exception {
        Path file = Path.of(System.getProperty("zeroscale.deploy", "../deploy")).resolve("kubernetes/scaledtargets.zeroscale.io.yaml");
        try (InputStream in = Files.newInputStream(file)) {
            CustomResourceDefinition crd = k8s.apiextensions().v1().customResourceDefinitions().load(in).item();
            k8s.apiextensions().v1().customResourceDefinitions().resource(crd).create();
        }
        await("the CRD established").atMost(Duration.ofSeconds(30)).until(() -> {
            CustomResourceDefinition crd = k8s.apiextensions().v1().customResourceDefinitions().withName("scaledtargets.zeroscale.io").get();
            return crd.getStatus() != null && crd.getStatus().getConditions().stream()
                    .anyMatch(c -> c.getType().equals("Established") && c.getStatus().equals("True"));
        });
    }

    @Test
    void createdChangedInvalidAndDeleted() throws Exception {
        installCrd(k8s);
        webAtZero(NS);
        startOnCluster("""
                target-sources:
                  resources: { type: kubernetes, orchestrator: cluster, kubeconfig: "%s", namespace: %s }
                targets: {}
                """.formatted(peer.kubeconfig(), NS));
        Resource<GenericKubernetesResource> web = k8s.genericKubernetesResources(SCALED_TARGETS).inNamespace(NS).withName("web");

        // Created -> live, status filled.
        k8s.genericKubernetesResources(SCALED_TARGETS).inNamespace(NS).resource(new GenericKubernetesResourceBuilder().withApiVersion("zeroscale.io/v1alpha1").withKind("ScaledTarget")
                .withNewMetadata().withName("web").withNamespace(NS).endMetadata()
                .addToAdditionalProperties("spec", Map.of(
                        "workload", Map.of("kind", "Deployment"),
                        "route", Map.of("path", "/"),
                        "policy", Map.of("automaton", "zero-to-n", "idle", "10m", "wake-timeout", "2m")))
                .build()).create();
        await("the target live").atMost(Duration.ofSeconds(30)).until(() -> daemon.daemon().zeroscale().status(TARGET).isPresent());
        await("Ready True").atMost(Duration.ofSeconds(30))
                .until(() -> "True".equals(ResourceStatus.condition(web.get(), "Ready").get("status")));
        assertThat(ResourceStatus.of(web.get())).containsEntry("target", TARGET).containsEntry("observedGeneration", 1);
        assertThat(api.request("/").statusCode()).as("a request through the gateway wakes the Deployment").isEqualTo(200);
        await("status: 1 replica from the engine's decision").atMost(Duration.ofSeconds(30)).until(() -> {
            Map<String, Object> status = ResourceStatus.of(web.get());
            return Integer.valueOf(1).equals(status.get("replicas")) && status.get("lastDecision") != null && status.get("state") != null;
        });
        assertThat(k8s.apps().deployments().inNamespace(NS).withName("web").get().getSpec().getReplicas()).isEqualTo(1);

        // Changed -> the new policy applies: idle 1s takes it to zero.
        patchSpec(web, "{\"spec\":{\"policy\":{\"idle\":\"1s\"}}}");
        await("the new policy scaled it to zero").atMost(Duration.ofSeconds(60))
                .until(() -> k8s.apps().deployments().inNamespace(NS).withName("web").get().getSpec().getReplicas() == 0);
        await("status: generation 2 applied, 0 replicas").atMost(Duration.ofSeconds(30)).until(() -> {
            Map<String, Object> status = ResourceStatus.of(web.get());
            return Integer.valueOf(2).equals(status.get("observedGeneration")) && Integer.valueOf(0).equals(status.get("replicas"));
        });
        assertThat(api.journalMessages(TARGET)).as("the change journalled").anyMatch(m -> m.contains("ScaledTarget " + NS + "/web changed"));

        // Invalid -> a condition naming the field under spec, as zeroscale validate words it; generation 2 stays.
        patchSpec(web, "{\"spec\":{\"policy\":{\"idle\":\"soon\"}}}");
        await("Ready False").atMost(Duration.ofSeconds(30))
                .until(() -> "False".equals(ResourceStatus.condition(web.get(), "Ready").get("status")));
        Map<String, Object> refused = ResourceStatus.condition(web.get(), "Ready");
        String validate = validateMessage("soon");
        assertThat(validate).startsWith("targets.web.policy.idle: ");
        assertThat(refused).containsEntry("reason", "Invalid");
        assertThat((String) refused.get("message")).startsWith("spec.policy.idle: " + validate.substring("targets.web.policy.idle: ".length()))
                .endsWith("(generation 2 stays in force)");
        assertThat(daemon.daemon().zeroscale().status(TARGET)).as("the refused change left the target running").isPresent();

        // Valid again and woken, then deleted -> the target is removed, the Deployment left at 1.
        patchSpec(web, "{\"spec\":{\"policy\":{\"idle\":\"10m\"}}}");
        await("Ready True again").atMost(Duration.ofSeconds(30))
                .until(() -> "True".equals(ResourceStatus.condition(web.get(), "Ready").get("status"))
                && Integer.valueOf(4).equals(ResourceStatus.of(web.get()).get("observedGeneration")));
        assertThat(api.request("/").statusCode()).isEqualTo(200);
        web.delete();
        await("the target removed").atMost(Duration.ofSeconds(30)).until(() -> daemon.daemon().zeroscale().status(TARGET).isEmpty());
        assertThat(k8s.apps().deployments().inNamespace(NS).withName("web").get().getSpec().getReplicas())
                .as("the workload left as it is").isEqualTo(1);
        assertThat(k8s.pods().inNamespace(NS).list().getItems()).hasSize(1);
    }

    /** What {@code zeroscale validate} says about the same target in a config file with {@code idle}. */
    private String validateMessage(String idle) throws Exception {
        Path config = Files.writeString(work.resolve("invalid.yaml"), """
                orchestrators:
                  cluster: { type: kubernetes, kubeconfig: "%s" }
                targets:
                  web:
                    orchestrator: cluster
                    workload: { kind: Deployment, namespace: %s }
                    policy: { automaton: zero-to-n, idle: %s, wake-timeout: 2m }
                """.formatted(peer.kubeconfig(), NS, idle));
        ZeroscaleException e = catchThrowableOfType(ZeroscaleException.class, () -> {
            DaemonConfig loaded = ConfigLoader.fromEnvironment().load(config, Map.of("data-dir", work.resolve("validate").toString()));
            Daemon.validate(loaded, Distribution.loadPlugins());
        });
        assertThat(e).as("zeroscale validate refuses idle: %s", idle).isNotNull();
        return e.problems().isEmpty() ? e.getMessage() : e.problems().getFirst();
    }

    private static void patchSpec(Resource<GenericKubernetesResource> resource, String json) {
        resource.patch(PatchContext.of(PatchType.JSON_MERGE), json);
    }
}
