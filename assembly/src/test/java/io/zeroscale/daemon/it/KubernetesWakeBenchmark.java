package io.zeroscale.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.zeroscale.daemon.Daemon;
import io.zeroscale.daemon.config.DaemonConfig;
import io.zeroscale.testkit.KubernetesPeer;
import io.zeroscale.testkit.PodNetwork;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kubernetes wake budget (docs/budgets.md: first response through the gateway minus the pod's
 * own start-to-ready, p50 ≤ 100 ms, p99 ≤ 200 ms), measured by {@code benchmarks/run k8s-wake},
 * which runs this class through failsafe and sets {@code zeroscale.k8s-wake.results} to keep every
 * sample. Not an {@code *IT}: the regular build does not run it (KubernetesWakeIT covers the
 * behaviour); it fails only when a wake is not answered by its pod.
 *
 * <p>The real control plane (testkit's {@link KubernetesPeer}: etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler built from source, one kwok node) with the pod fixture:
 * each pod is busybox httpd, a real process on the pod's IP in the run's network namespace, which
 * the fixture probes every 2 ms from launch and marks Ready at its first 200. The daemon runs
 * in-process with the distribution's kubernetes plugin, under the shipped ServiceAccount and RBAC,
 * in front of the Deployment {@code web} (0..1 replicas, {@code idle: 2s}).
 *
 * <p>Each wake: wait until the target is at ZERO, the Deployment at 0 and no pod or pod process is
 * left; send one request through the gateway; take the time to its 200 ({@code System.nanoTime()})
 * and the fixture's stamps of the pod that answered it: its process's launch and the probe's first
 * 200 (the pod's own start-to-ready), and when the Ready patch was accepted. The overhead is the
 * first response minus the pod's own start-to-ready; its parts are request → process launch
 * (scale call, deployment and ReplicaSet controllers, scheduler, kwok, the fixture's watch) and
 * first 200 → response (Ready patch, EndpointSlice controller, the daemon's informers, the
 * gateway). The daemon's scale call is taken from the API server's audit log.
 */
class KubernetesWakeBenchmark {
    private static final String NS = "bench";
    private static final int WAKES = Integer.getInteger("zeroscale.k8s-wake.wakes", 30);
    private static final int WARMUP = Integer.getInteger("zeroscale.k8s-wake.warmup", 2);

    @TempDir
    Path work;
    private KubernetesPeer peer;
    private Daemon daemon;
    private ApiClient client;

    @AfterEach
    void stopAll() {
        try {
            if (client != null) {
                client.close();
            }
            if (daemon != null) {
                daemon.stop();
            }
        } finally {
            if (peer != null) {
                peer.close();
            }
        }
    }

    @Test
    void wakesADeploymentFromZeroThroughTheGateway() throws Exception {
        Path k8sHome = Files.createDirectories(work.resolve("k8s"));
        peer = KubernetesPeer.builder(k8sHome).podNetwork().apiServerArgs(KubernetesBench.auditFlags(work)).start();
        KubernetesClient k8s = peer.client();
        OnKubernetes.webAtZero(k8s, NS);
        DaemonConfig loaded = OnKubernetes.daemonConfig(work, KubernetesBench.daemonKubeconfig(work, peer), NS, """
                automaton: zero-to-n
                idle: 2s
                wake-timeout: 2m
                replicas: { min: 0, max: 1 }
                """);
        daemon = Daemon.create(loaded, Distribution.loadPlugins()).start();
        client = new ApiClient(daemon.apiPort(), daemon.gatewayPort());

        List<Map<String, Object>> samples = new ArrayList<>();
        List<Map<String, Object>> warmups = new ArrayList<>();
        for (int i = 0; i < WARMUP + WAKES; i++) {
            Map<String, Object> sample = wake(k8s);
            (i < WARMUP ? warmups : samples).add(sample);
            System.out.printf(java.util.Locale.ROOT, "k8s-wake %s %d: %s%n", i < WARMUP ? "warm-up" : "wake", i, sample);
        }

        Map<String, Object> results = new LinkedHashMap<>();
        results.put("setup", Map.of(
                "controlPlane", "etcd, kube-apiserver, kube-controller-manager, kube-scheduler " + KubernetesPeer.VERSION
                        + " built from source, one kwok node (testkit KubernetesPeer)",
                "pod", "busybox httpd as a local process on the pod's IP (testkit PodNetwork), probed every 2 ms from launch,"
                        + " marked Ready at its first 200",
                "daemon", "in-process, the distribution's kubernetes plugin, the shipped ServiceAccount and ClusterRole",
                "policy", "zero-to-n, replicas 0..1, idle 2s, wake-timeout 2m"));
        results.put("warmup", warmups);
        results.put("samples", samples);
        KubernetesBench.writeResults("zeroscale.k8s-wake.results", results);
    }

    private Map<String, Object> wake(KubernetesClient k8s) throws Exception {
        await("the target at zero with no pod left").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50))
                .until(() -> "ZERO".equals(client.target("web").path("state").asText())
                        && k8s.apps().deployments().inNamespace(NS).withName("web").get().getSpec().getReplicas() == 0
                        && k8s.pods().inNamespace(NS).list().getItems().isEmpty()
                        && peer.podNetwork().running().isEmpty());
        double load = KubernetesBench.loadAverage();
        Instant sentAt = Instant.now();
        long sent = System.nanoTime();
        HttpResponse<String> first = client.request("/");
        long answered = System.nanoTime();

        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        String podName = first.body().strip();
        PodNetwork.PodProcess pod = peer.podNetwork().process(NS, podName).orElseThrow();
        assertThat(pod.startedNanos()).as("the pod that answered was launched for this wake").isGreaterThan(sent);
        long podAnswered = pod.answeredNanos().orElseThrow();
        long launched = pod.startedNanos();
        Instant scaled = await("the daemon's scale call in the audit log").atMost(Duration.ofSeconds(30))
                .until(() -> KubernetesBench.calls(work).stream().filter(c -> c.isScale() && !c.received().isBefore(sentAt))
                        .map(KubernetesBench.Call::received).findFirst().orElse(null), at -> at != null);

        Map<String, Object> sample = new LinkedHashMap<>();
        sample.put("at", sentAt.toString());
        sample.put("loadAverage", load);
        sample.put("pod", podName);
        sample.put("firstResponseMs", ms(answered - sent));
        sample.put("startToReadyMs", ms(podAnswered - launched));
        sample.put("requestToLaunchMs", ms(launched - sent));
        sample.put("readyToResponseMs", ms(answered - podAnswered));
        sample.put("readyToReadyPatchMs", pod.readyNanos().isPresent() ? ms(pod.readyNanos().getAsLong() - podAnswered) : null);
        sample.put("requestToScaleCallMs", Duration.between(sentAt, scaled).toNanos() / 1e6);
        // What the daemon asked the API server between the request and its scale call (each with
        // its ms after the request): the round trips inside its share.
        sample.put("daemonCallsBeforeScale", KubernetesBench.calls(work).stream()
                .filter(c -> !c.received().isBefore(sentAt) && !c.received().isAfter(scaled))
                .map(c -> c.verb() + " " + c.kind() + " +" + Duration.between(sentAt, c.received()).toNanos() / 1_000_000.0)
                .toList());
        return sample;
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
