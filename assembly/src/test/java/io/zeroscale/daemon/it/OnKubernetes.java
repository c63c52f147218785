package io.zeroscale.daemon.it;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.zeroscale.daemon.config.ConfigLoader;
import io.zeroscale.daemon.config.DaemonConfig;
import io.zeroscale.testkit.KubernetesPeer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** What the daemon ITs on a real control plane share: a Deployment at zero behind a Service, and the daemon's config for it. */
final class KubernetesApps {
    private KubernetesApps() {}

    /**
     * Creates {@code namespace} with the Deployment {@code web} at 0 replicas (pods labelled
     * app=web, busybox httpd on the named port {@code http}, 8080) and the Service {@code web} in
     * front of it.
     */
    static void webAtZero(KubernetesClient k8s, String namespace) {
        k8s.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).create();
        k8s.apps().deployments().inNamespace(namespace).resource(new DeploymentBuilder()
                .withNewMetadata().withName("web").endMetadata()
                .withNewSpec()
                    .withReplicas(0)
                    .withNewSelector().addToMatchLabels("app", "web").endSelector()
                    .withNewTemplate()
                        .withNewMetadata().addToLabels("app", "web").endMetadata()
                        .withNewSpec()
                            .addNewContainer().withName("web").withImage("zeroscale/httpd:test")
                                .addNewPort().withName("http").withContainerPort(8080).endPort()
                            .endContainer()
                        .endSpec()
                    .endTemplate()
                .endSpec()
                .build()).create();
        k8s.services().inNamespace(namespace).resource(new ServiceBuilder()
                .withNewMetadata().withName("web").endMetadata()
                .withNewSpec()
                    .addToSelector("app", "web")
                    .addNewPort().withName("http").withPort(80).withTargetPort(new IntOrString("http")).endPort()
                .endSpec()
                .build()).create();
    }

    /**
     * The daemon's config: orchestrator {@code cluster} on the peer, target {@code web} (the
     * Deployment of {@code namespace}, route {@code /}) with {@code policy} (YAML lines indented for
     * the target's {@code policy:}), listening on free loopback ports, data under {@code work}.
     */
    static DaemonConfig daemonConfig(Path work, KubernetesPeer peer, String namespace, String policy) throws IOException {
        Path config = Files.writeString(work.resolve("zeroscale.yaml"), """
                orchestrators:
                  cluster: { type: kubernetes, kubeconfig: "%s" }
                targets:
                  web:
                    orchestrator: cluster
                    workload: { kind: Deployment, namespace: %s, name: web }
                    route: { path: / }
                    policy:
                %s""".formatted(peer.kubeconfig(), namespace, policy.stripTrailing().indent(6)));
        Map<String, String> overrides = new LinkedHashMap<>();
        overrides.put("gateway.listen", "127.0.0.1:0");
        overrides.put("api.listen", "127.0.0.1:0");
        overrides.put("data-dir", work.resolve("data").toString());
        return ConfigLoader.fromEnvironment().load(config, overrides);
    }
}
