package io.zeroscale.plugin.k8s;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.testkit.KubernetesPeer;
import io.zeroscale.testkit.TestPluginContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The one real control plane of this test JVM (etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler, kwok) with a pod network: every pod scheduled to the fake node runs busybox
 * {@code httpd} on its IP inside the network namespace the peer made, and is marked ready when it
 * answers. Started on first use (about 6 s idle machine, more here) and stopped by the peer's JVM
 * shutdown hook when the test JVM exits, so the IT classes share it instead of starting one each.
 */
final class ControlPlane {
    static final String ORCHESTRATOR = "k8s";
    static final int CONTAINER_PORT = 8080;
    private static final AtomicInteger NEXT = new AtomicInteger();
    private static KubernetesPeer peer;

    private ControlPlane() {}

    static synchronized KubernetesPeer peer() {
        if (peer == null) {
            try {
                Path home = Files.createDirectories(Path.of("target", "k8s-peer-" + ProcessHandle.current().pid()));
                peer = KubernetesPeer.builder(home).podNetwork().start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return peer;
    }

    static KubernetesClient client() {
        return peer().client();
    }

    /** A fresh namespace for one test class or test. */
    static String namespace(String prefix) {
        String name = prefix + "-" + NEXT.incrementAndGet();
        client().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
                .create();
        return name;
    }

    static String uniqueName(String prefix) {
        return prefix + "-" + NEXT.incrementAndGet();
    }

    /** A new orchestrator over the control plane, as a daemon with {@code context}'s data directory would make it. */
    static KubernetesOrchestrator orchestrator(TestPluginContext context, Map<String, Object> extra) {
        return orchestrator(context, extra, null);
    }

    /**
     * As {@link #orchestrator(TestPluginContext, Map)}, with the API server at {@code server}
     * instead of the control plane's (null: the control plane's), e.g. a loopback port nothing
     * listens on for an API server that is down: a kubeconfig like the control plane's (its
     * credentials) but for that server.
     *
     * @param extra the orchestrator's keys besides {@code type} and {@code kubeconfig}, which this sets
     */
    static KubernetesOrchestrator orchestrator(TestPluginContext context, Map<String, Object> extra, @Nullable URI server) {
        if (extra.containsKey("kubeconfig")) {
            throw new IllegalArgumentException("ControlPlane sets the kubeconfig; give a server instead");
        }
        Map<String, Object> values = new HashMap<>(extra);
        values.put("type", "kubernetes");
        values.put("kubeconfig", (server == null ? peer().kubeconfig() : kubeconfigFor(server)).toString());
        return (KubernetesOrchestrator) new KubernetesOrchestratorFactory()
                .create(ORCHESTRATOR, Config.of("orchestrators." + ORCHESTRATOR, values), context);
    }

    /** A copy of the control plane's kubeconfig whose cluster is at {@code server}. */
    private static Path kubeconfigFor(URI server) {
        try {
            String own = Files.readString(peer().kubeconfig());
            String marker = "server: " + peer().url();
            if (!own.contains(marker)) {
                throw new IllegalStateException("the control plane's kubeconfig has no line '" + marker + "'");
            }
            Path copy = peer().kubeconfig().resolveSibling("kubeconfig-" + NEXT.incrementAndGet() + ".yaml");
            return Files.writeString(copy, own.replace(marker, "server: " + server));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A Deployment at 0 replicas (pods labelled app=NAME, port 8080) and a Service in front of it. */
    static Workload deployment(String namespace, String name) {
        createDeployment(namespace, name);
        service(namespace, name, name);
        return new Workload(new TargetRef(ORCHESTRATOR, "Deployment", namespace, name),
                Config.of("targets." + name + ".workload", Map.of()));
    }

    /**
     * A Deployment at 0 replicas whose clients bypass the gateway while it is warm: its Service NAME
     * has no selector (port {@code http} 80 to the pods' 8080), and the target says {@code data-path:
     * bypass-when-warm}.
     */
    static Workload bypassingDeployment(String namespace, String name) {
        createDeployment(namespace, name);
        client().services().inNamespace(namespace).resource(new ServiceBuilder()
                .withNewMetadata().withName(name).endMetadata()
                .withNewSpec()
                    .addNewPort().withName("http").withPort(80).withTargetPort(new IntOrString(CONTAINER_PORT)).endPort()
                .endSpec()
                .build()).create();
        return new Workload(new TargetRef(ORCHESTRATOR, "Deployment", namespace, name),
                Config.of("targets." + name + ".workload", Map.of("service", name, "data-path", "bypass-when-warm")));
    }

    /**
     * A stand-in for the daemons' gateway Service NAME: no selector, and an EndpointSlice (written as
     * the cluster's controller would) listing {@code addresses} ready at port {@code http} {@code port}.
     */
    static void gatewayService(String namespace, String name, int port, String... addresses) {
        client().services().inNamespace(namespace).resource(new ServiceBuilder()
                .withNewMetadata().withName(name).endMetadata()
                .withNewSpec().addNewPort().withName("http").withPort(80).withTargetPort(new IntOrString(port)).endPort().endSpec()
                .build()).create();
        gatewayEndpoints(namespace, name, port, addresses);
    }

    /** Sets the gateway stand-in's endpoints to {@code addresses}. */
    static void gatewayEndpoints(String namespace, String name, int port, String... addresses) {
        var builder = new io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder()
                .withNewMetadata().withName(name + "-gw").withNamespace(namespace)
                    .addToLabels("kubernetes.io/service-name", name)
                    .addToLabels("endpointslice.kubernetes.io/managed-by", "test.zeroscale.io").endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("http").withPort(port).withProtocol("TCP").endPort();
        for (String address : addresses) {
            builder.addNewEndpoint().withAddresses(address).withNewConditions().withReady(true).endConditions().endEndpoint();
        }
        client().resource(builder.build()).fieldManager("test").forceConflicts().serverSideApply();
    }

    private static void createDeployment(String namespace, String name) {
        client().apps().deployments().inNamespace(namespace).resource(new DeploymentBuilder()
                .withNewMetadata().withName(name).endMetadata()
                .withNewSpec()
                    .withReplicas(0)
                    .withNewSelector().addToMatchLabels("app", name).endSelector()
                    .withNewTemplate()
                        .withNewMetadata().addToLabels("app", name).endMetadata()
                        .withNewSpec()
                            .addNewContainer().withName("app").withImage("zeroscale/httpd:test")
                                .addNewPort().withContainerPort(CONTAINER_PORT).endPort()
                            .endContainer()
                        .endSpec()
                    .endTemplate()
                .endSpec()
                .build()).create();
    }

    /** A StatefulSet at 0 replicas, governed by a headless Service of the same name. */
    static Workload statefulSet(String namespace, String name) {
        client().services().inNamespace(namespace).resource(new ServiceBuilder()
                .withNewMetadata().withName(name).endMetadata()
                .withNewSpec()
                    .withClusterIP("None")
                    .addToSelector("app", name)
                    .addNewPort().withName("http").withPort(CONTAINER_PORT).withTargetPort(new IntOrString(CONTAINER_PORT)).endPort()
                .endSpec()
                .build()).create();
        client().apps().statefulSets().inNamespace(namespace).resource(new StatefulSetBuilder()
                .withNewMetadata().withName(name).endMetadata()
                .withNewSpec()
                    .withReplicas(0)
                    .withServiceName(name)
                    .withPodManagementPolicy("Parallel")
                    .withNewSelector().addToMatchLabels("app", name).endSelector()
                    .withNewTemplate()
                        .withNewMetadata().addToLabels("app", name).endMetadata()
                        .withNewSpec()
                            .addNewContainer().withName("app").withImage("zeroscale/httpd:test")
                                .addNewPort().withContainerPort(CONTAINER_PORT).endPort()
                            .endContainer()
                        .endSpec()
                    .endTemplate()
                .endSpec()
                .build()).create();
        return new Workload(new TargetRef(ORCHESTRATOR, "StatefulSet", namespace, name),
                Config.of("targets." + name + ".workload", Map.of()));
    }

    /**
     * Leaves nothing running for the next test: every Deployment of {@code namespace} to zero, then
     * waits until no pod process of the namespace runs.
     */
    static void stopAll(String namespace, Duration timeout) {
        for (Deployment d : client().apps().deployments().inNamespace(namespace).list().getItems()) {
            client().apps().deployments().inNamespace(namespace).withName(d.getMetadata().getName()).scale(0);
        }
        await("the pod processes of namespace " + namespace + " stopped").atMost(timeout)
                .until(() -> peer().podNetwork().running().stream().noneMatch(p -> p.namespace().equals(namespace)));
    }

    /** A ClusterIP Service NAME selecting app=APP, port 80 to the pods' 8080. */
    static void service(String namespace, String name, String app) {
        client().services().inNamespace(namespace).resource(new ServiceBuilder()
                .withNewMetadata().withName(name).endMetadata()
                .withNewSpec()
                    .addToSelector("app", app)
                    .addNewPort().withPort(80).withTargetPort(new IntOrString(CONTAINER_PORT)).endPort()
                .endSpec()
                .build()).create();
    }
}
