package io.zeroscale.daemon.it;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.zeroscale.daemon.config.ConfigLoader;
import io.zeroscale.daemon.config.DaemonConfig;
import io.zeroscale.testkit.KubernetesPeer;
import io.zeroscale.testkit.PodCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;

/**
 * The set-up of the daemon ITs on a real control plane: a {@link KubernetesPeer} of the test's own
 * with its pod network (each pod runs {@link #podCommand()}), started before the test and closed
 * after the daemon; a Deployment at zero behind a Service; the daemon with the distribution's
 * plugins (the kubernetes plugin from plugins/kubernetes/) on it.
 */
abstract class OnKubernetes extends WithDaemon {
    protected KubernetesPeer peer;
    protected KubernetesClient k8s;

    /** What each pod runs: by default busybox httpd answering the pod's name. */
    protected PodCommand podCommand() {
        return PodCommand.httpd();
    }

    @BeforeEach
    final void startControlPlane() {
        peer = closeAfter(KubernetesPeer.builder(work.resolve("k8s")).podNetwork(podCommand(), Duration.ofMinutes(1)).start());
        k8s = peer.client();
    }

    /**
     * Creates {@code namespace} with the Deployment {@code web} at 0 replicas (pods labelled
     * app=web, busybox httpd on the named port {@code http}, 8080) and the Service {@code web} in
     * front of it.
     */
    protected final void webAtZero(String namespace) {
        webAtZero(k8s, namespace);
    }

    /** {@link #webAtZero(String)} on {@code k8s}, for harnesses that start their own control plane. */
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
     * Starts the daemon with the distribution's plugins on free loopback ports, with the orchestrator
     * {@code cluster} on the peer and {@code rest} (YAML sections, e.g. {@code targets:}).
     */
    protected final TestDaemon startOnCluster(String rest) {
        return start("""
                orchestrators:
                  cluster: { type: kubernetes, kubeconfig: "%s" }
                gateway: { listen: 127.0.0.1:0 }
                api: { listen: 127.0.0.1:0 }
                """.formatted(peer.kubeconfig()) + rest, Map.of(), Distribution.loadPlugins());
    }

    /**
     * Starts the daemon in front of the Deployment {@code web} of {@code namespace} ({@link
     * #webAtZero}) as target {@code web}, route {@code /}, with {@code policy} (YAML lines of the
     * target's {@code policy:}).
     */
    protected final TestDaemon startOnWeb(String namespace, String policy) {
        return startOnCluster("""
                targets:
                  web:
                    orchestrator: cluster
                    workload: { kind: Deployment, namespace: %s, name: web }
                    route: { path: / }
                    policy:
                %s""".formatted(namespace, policy.stripTrailing().indent(6)));
    }

    /**
     * The daemon's config for harnesses that run the daemon in-process: orchestrator {@code cluster}
     * reaching the API server with {@code kubeconfig}, target {@code web} (the Deployment of {@code
     * namespace}, route {@code /}) with {@code policy} (YAML lines of the target's {@code policy:}),
     * free loopback ports, data under {@code work}.
     */
    static DaemonConfig daemonConfig(Path work, Path kubeconfig, String namespace, String policy) throws IOException {
        Path config = Files.writeString(work.resolve("zeroscale.yaml"), """
                orchestrators:
                  cluster: { type: kubernetes, kubeconfig: "%s" }
                targets:
                  web:
                    orchestrator: cluster
                    workload: { kind: Deployment, namespace: %s, name: web }
                    route: { path: / }
                    policy:
                %s""".formatted(kubeconfig, namespace, policy.stripTrailing().indent(6)));
        Map<String, String> overrides = new LinkedHashMap<>();
        overrides.put("gateway.listen", "127.0.0.1:0");
        overrides.put("api.listen", "127.0.0.1:0");
        overrides.put("data-dir", work.resolve("data").toString());
        return ConfigLoader.fromEnvironment().load(config, overrides);
    }
}
