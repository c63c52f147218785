package io.zeroscale.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v1.Scale;
import io.fabric8.kubernetes.api.model.autoscaling.v1.ScaleBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control plane and the pod network end to end: a Deployment scaled 0 -> 1 through {@code
 * /scale} gets a pod whose real process answers through the veth, its address shows up ready in
 * the Service's EndpointSlice, and scaling back to 0 stops the process. Runs as root (the pod
 * network needs it); fails with the install command when the binaries are missing.
 */
class KubernetesPeerIT {
    private static final String NS = "default";
    private static final String APP = "echo";

    @TempDir
    Path dir;

    @Test
    void deploymentScaledThroughScaleGetsARealReadyPodAndLosesItAtZero() throws Exception {
        long startBegin = System.nanoTime();
        String netns;
        List<Long> pids = new CopyOnWriteArrayList<>();
        try (KubernetesPeer peer = KubernetesPeer.builder(dir).podNetwork().start();
                HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build()) {
            long started = System.nanoTime();
            PodNetwork network = peer.podNetwork();
            netns = network.namespace();
            KubernetesClient client = peer.client();
            assertThat(Files.readString(peer.kubeconfig(), UTF_8)).contains(peer.url()).contains(peer.clientCertificate().toString());

            client.apps().deployments().inNamespace(NS).resource(new DeploymentBuilder()
                    .withNewMetadata().withName(APP).endMetadata()
                    .withNewSpec()
                        .withReplicas(0)
                        .withNewSelector().addToMatchLabels("app", APP).endSelector()
                        .withNewTemplate()
                            .withNewMetadata().addToLabels("app", APP).endMetadata()
                            .withNewSpec()
                                .addNewContainer().withName("app").withImage("zeroscale/echo:test")
                                    .addNewPort().withContainerPort(8080).endPort()
                                .endContainer()
                            .endSpec()
                        .endTemplate()
                    .endSpec()
                    .build()).create();
            client.services().inNamespace(NS).resource(new ServiceBuilder()
                    .withNewMetadata().withName(APP).endMetadata()
                    .withNewSpec()
                        .addToSelector("app", APP)
                        .addNewPort().withPort(80).withTargetPort(new IntOrString(8080)).endPort()
                    .endSpec()
                    .build()).create();

            // Watched from before the scale call, so the latency is the time of the event.
            AtomicLong endpointReadyAt = new AtomicLong(-1);
            List<String> readyAddresses = new CopyOnWriteArrayList<>();
            try (SharedIndexInformer<EndpointSlice> slices = client.discovery().v1().endpointSlices().inNamespace(NS)
                    .withLabel("kubernetes.io/service-name", APP)
                    .inform(new ResourceEventHandler<>() {
                        @Override
                        public void onAdd(EndpointSlice slice) {
                            record(slice);
                        }

                        @Override
                        public void onUpdate(EndpointSlice old, EndpointSlice slice) {
                            record(slice);
                        }

                        @Override
                        public void onDelete(EndpointSlice slice, boolean unknown) {}

                        private void record(EndpointSlice slice) {
                            List<String> ready = readyAddresses(slice);
                            if (!ready.isEmpty() && endpointReadyAt.get() < 0) {
                                endpointReadyAt.set(System.nanoTime());
                            }
                            readyAddresses.clear();
                            readyAddresses.addAll(ready);
                        }
                    }, 0)) {
                assertThat(slices.isRunning()).isTrue();

                long scaleCall = System.nanoTime();
                scaleTo(client, 1);
                await("a ready endpoint").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5))
                        .until(() -> endpointReadyAt.get() > 0);

                List<PodNetwork.PodProcess> running = network.running();
                assertThat(running).hasSize(1);
                PodNetwork.PodProcess pod = running.get(0);
                pod.pid().ifPresent(pids::add);
                assertThat(pod.name()).startsWith(APP + "-");
                assertThat(readyAddresses).containsExactly(pod.ip());
                assertThat(pod.ip()).startsWith(network.podCidr().substring(0, network.podCidr().indexOf(".0.1/")));

                // From the root namespace through the veth to the pod's own process.
                HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(pod.url())).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(answer.statusCode()).isEqualTo(200);
                assertThat(answer.body()).isEqualTo(pod.name() + "\n");

                io.fabric8.kubernetes.api.model.Pod object = client.pods().inNamespace(NS).withName(pod.name()).get();
                assertThat(object.getStatus().getConditions())
                        .anySatisfy(c -> {
                            assertThat(c.getType()).isEqualTo("Ready");
                            assertThat(c.getStatus()).isEqualTo("True");
                        });
                // Readiness came from the process answering, not from kwok.
                assertThat(pod.answeredNanos()).isPresent();
                assertThat(pod.readyNanos().orElseThrow()).isGreaterThanOrEqualTo(pod.answeredNanos().orElseThrow());
                assertThat(endpointReadyAt.get()).isGreaterThan(pod.answeredNanos().orElseThrow());

                System.out.printf(Locale.ROOT, "KubernetesPeerIT: control plane + pod network ready in %d ms%n", ms(started - startBegin));
                System.out.printf(Locale.ROOT, "KubernetesPeerIT: /scale 0->1 -> process launched %d ms, answered %d ms (start-to-answer %d ms),"
                                + " Ready patched %d ms, endpoint ready in the EndpointSlice %d ms%n",
                        ms(pod.startedNanos() - scaleCall), ms(pod.answeredNanos().orElseThrow() - scaleCall),
                        pod.startToAnswer().orElseThrow().toMillis(), ms(pod.readyNanos().orElseThrow() - scaleCall),
                        ms(endpointReadyAt.get() - scaleCall));

                long scaleDown = System.nanoTime();
                scaleTo(client, 0);
                await("the pod's process gone").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5))
                        .until(() -> network.running().isEmpty() && ProcessHandle.of(pids.get(0)).isEmpty());
                System.out.printf(Locale.ROOT, "KubernetesPeerIT: /scale 1->0 -> process killed %d ms%n",
                        ms(pod.stoppedNanos().orElseThrow() - scaleDown));
                assertThatThrownBy(() -> http.send(HttpRequest.newBuilder(URI.create(pod.url())).build(), HttpResponse.BodyHandlers.ofString()))
                        .isInstanceOf(ConnectException.class);
                await("no ready endpoint").atMost(Duration.ofSeconds(30)).until(readyAddresses::isEmpty);
            }
        }
        // close() removed the namespace, the veth and every process.
        assertThat(ipNetnsList()).doesNotContain(netns);
        assertThat(pids).allSatisfy(pid -> assertThat(ProcessHandle.of(pid)).isEmpty());
    }

    @Test
    void withoutAPodNetworkKwokMarksPodsReadyWithFakeAddresses() {
        try (KubernetesPeer peer = KubernetesPeer.start(dir)) {
            KubernetesClient client = peer.client();
            assertThat(peer.nodeNames()).containsExactly("kwok-node-0");
            client.apps().deployments().inNamespace(NS).resource(new DeploymentBuilder()
                    .withNewMetadata().withName(APP).endMetadata()
                    .withNewSpec()
                        .withReplicas(2)
                        .withNewSelector().addToMatchLabels("app", APP).endSelector()
                        .withNewTemplate()
                            .withNewMetadata().addToLabels("app", APP).endMetadata()
                            .withNewSpec().addNewContainer().withName("app").withImage("zeroscale/echo:test").endContainer().endSpec()
                        .endTemplate()
                    .endSpec()
                    .build()).create();
            await("2 ready replicas").atMost(Duration.ofSeconds(30)).until(() -> {
                var status = client.apps().deployments().inNamespace(NS).withName(APP).get().getStatus();
                return status != null && status.getReadyReplicas() != null && status.getReadyReplicas() == 2;
            });
            assertThat(client.pods().inNamespace(NS).withLabel("app", APP).list().getItems())
                    .hasSize(2)
                    .allSatisfy(pod -> assertThat(pod.getStatus().getPodIP()).startsWith("198.18."));
        }
    }

    private static void scaleTo(KubernetesClient client, int replicas) {
        // Through the /scale subresource, as the orchestrator does.
        var deployment = client.apps().deployments().inNamespace(NS).withName(APP);
        Scale current = deployment.scale();
        deployment.scale(new ScaleBuilder(current).editSpec().withReplicas(replicas).endSpec().build());
    }

    private static List<String> readyAddresses(EndpointSlice slice) {
        if (slice.getEndpoints() == null) {
            return List.of();
        }
        return slice.getEndpoints().stream()
                .filter(e -> e.getConditions() != null && Boolean.TRUE.equals(e.getConditions().getReady()))
                .map(Endpoint::getAddresses)
                .flatMap(List::stream)
                .toList();
    }

    private static long ms(long nanos) {
        return Duration.ofNanos(nanos).toMillis();
    }

    private static String ipNetnsList() throws IOException, InterruptedException {
        Process process = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), UTF_8);
        process.waitFor();
        return output;
    }
}
