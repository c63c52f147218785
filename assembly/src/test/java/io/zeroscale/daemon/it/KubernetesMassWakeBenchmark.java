package io.zeroscale.daemon.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.zeroscale.daemon.Daemon;
import io.zeroscale.daemon.config.ConfigLoader;
import io.zeroscale.daemon.config.DaemonConfig;
import io.zeroscale.engine.ActuationSettings;
import io.zeroscale.testkit.KubernetesPeer;
import io.zeroscale.testkit.PodCommand;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mass wake of issue 17, measured by {@code benchmarks/run k8s-mass-wake} (which runs this
 * class through failsafe and sets {@code zeroscale.k8s-mass-wake.results}): N Deployments at zero
 * (default 1,000, each with its Service) on the real control plane, one daemon with a target per
 * Deployment, and one request per target sent through the gateway at the same moment (all sent
 * before the first is answered). Recorded, all from the API server's audit log of the daemon's own
 * user (see {@link KubernetesBench}) and the client's clock:
 *
 * <ul>
 *   <li>every scale call ({@code deployments/scale} writes) and when the API server received it,
 *       against the bound N / (the engine's calls per second per orchestrator) + 1 s counted from
 *       the first request sent;
 *   <li>every request's answer (status, which pod answered) and when;
 *   <li>the daemon's writes while only the status of watched objects changes: after every request is
 *       answered, the benchmark patches the status subresource of every Deployment and every pod (a
 *       condition of its own, strategic merge: nothing else of the objects changes), and the audit log
 *       must show no write of the daemon from then until 10 s after the last patch.
 * </ul>
 *
 * <p>Pods are real local processes (busybox httpd in the run's network namespace, testkit's
 * PodNetwork), serving {@code /<deployment>/} so that each target's route reaches its own pod.
 * Not an {@code *IT}: the regular build does not run it. It fails when a request is not answered
 * 200 by its own Deployment's pod; the budgets' verdicts are {@code benchmarks/report.py}'s.
 */
class KubernetesMassWakeBenchmark {
    private static final String NS = "mass";
    private static final int DEPLOYMENTS = Integer.getInteger("zeroscale.k8s-mass-wake.deployments", 1000);
    private static final Duration QUIET = Duration.ofSeconds(10);

    @TempDir
    Path work;
    private KubernetesPeer peer;
    private Daemon daemon;
    private ApiClient api;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(30)).build();

    @AfterEach
    void stopAll() {
        try {
            http.close();
            if (api != null) {
                api.close();
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
    void aThousandDeploymentsAtZeroWakeAtOnce() throws Exception {
        int callsPerSecond = ActuationSettings.DEFAULT.callsPerSecond();
        double boundSeconds = (double) DEPLOYMENTS / callsPerSecond + 1;
        Path k8sHome = Files.createDirectories(work.resolve("k8s"));
        peer = KubernetesPeer.builder(k8sHome)
                .podsPerNode(DEPLOYMENTS + 10)
                .podNetwork(servesItsDeploymentPath(), Duration.ofMinutes(10))
                .apiServerArgs(KubernetesBench.auditFlags(work))
                .startTimeout(Duration.ofMinutes(5))
                .start();
        KubernetesClient k8s = peer.client();
        long setupStarted = System.nanoTime();
        createAtZero(k8s);
        await("every Deployment observed by its controller").atMost(Duration.ofMinutes(15)).pollInterval(Duration.ofSeconds(1))
                .until(() -> k8s.apps().deployments().inNamespace(NS).list().getItems().stream()
                        .filter(d -> d.getStatus() != null && d.getStatus().getObservedGeneration() != null
                                && d.getStatus().getObservedGeneration() >= d.getMetadata().getGeneration())
                        .count() == DEPLOYMENTS);
        double setupSeconds = (System.nanoTime() - setupStarted) / 1e9;

        daemon = Daemon.create(config(KubernetesBench.daemonKubeconfig(work, peer)), Distribution.loadPlugins()).start();
        api = new ApiClient(daemon.apiPort(), daemon.gatewayPort());
        long daemonStarted = System.nanoTime();
        await("every target observed at zero").atMost(Duration.ofMinutes(15)).pollInterval(Duration.ofSeconds(1))
                .until(() -> stateCount("ZERO") == DEPLOYMENTS);
        double observedSeconds = (System.nanoTime() - daemonStarted) / 1e9;

        // Every request sent before any can be answered: nothing is scaled yet.
        List<HttpRequest> requests = IntStream.range(0, DEPLOYMENTS).mapToObj(i -> HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + daemon.gatewayPort() + "/" + name(i) + "/"))
                .timeout(Duration.ofMinutes(25)).build()).toList();
        double loadAtWake = KubernetesBench.loadAverage();
        // When each target's engine first decided on a replica (the wake): between the request and
        // the scale call, this splits the gateway and engine from the actuation and the API call.
        Map<String, Long> decidedNanos = new java.util.concurrent.ConcurrentHashMap<>();
        io.zeroscale.spi.Subscription decisions = daemon.zeroscale().engine().subscribeDecisions((target, event, decision) -> {
            if (decision.replicas() >= 1) {
                decidedNanos.putIfAbsent(target.name(), System.nanoTime());
            }
        });
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>(DEPLOYMENTS);
        long[] answeredNanos = new long[DEPLOYMENTS];
        Instant firstSentAt = Instant.now();
        long firstSent = System.nanoTime();
        for (int i = 0; i < DEPLOYMENTS; i++) {
            int index = i;
            answers.add(http.sendAsync(requests.get(i), HttpResponse.BodyHandlers.ofString())
                    .whenComplete((response, failure) -> answeredNanos[index] = System.nanoTime()));
        }
        long lastSent = System.nanoTime();
        List<Map<String, Object>> responses = new ArrayList<>();
        int answeredByItsPod = 0;
        for (int i = 0; i < DEPLOYMENTS; i++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("target", name(i));
            try {
                HttpResponse<String> response = answers.get(i).join();
                row.put("status", response.statusCode());
                String body = response.body().strip();
                row.put("pod", body.length() > 80 ? body.substring(0, 80) : body);
                if (response.statusCode() == 200 && body.startsWith(name(i) + "-")) {
                    answeredByItsPod++;
                }
            } catch (java.util.concurrent.CompletionException e) {
                row.put("error", String.valueOf(e.getCause()));
            }
            row.put("answeredMs", (answeredNanos[i] - firstSent) / 1e6);
            responses.add(row);
        }
        double loadAfterWake = KubernetesBench.loadAverage();
        decisions.close();

        // The wake settles first: every target ACTIVE, and the daemon's writes for it (scale calls,
        // the Events of its state changes) over, i.e. none for 3 s.
        await("every target ACTIVE").atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(1))
                .until(() -> stateCount("ACTIVE") == DEPLOYMENTS);
        awaitNoWritesSince(Instant.now(), Duration.ofSeconds(3), Duration.ofMinutes(2));

        // Status-only updates of every watched Deployment and pod; the daemon must write nothing.
        Instant statusPhase = Instant.now();
        List<Deployment> deployments = k8s.apps().deployments().inNamespace(NS).list().getItems();
        List<Pod> pods = k8s.pods().inNamespace(NS).list().getItems();
        String stamp = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        String condition = """
                {"status":{"conditions":[{"type":"zeroscale.io/BenchStatusOnly","status":"True","reason":"Bench",\
                "message":"a status-only update","lastUpdateTime":"%1$s","lastTransitionTime":"%1$s"}]}}""".formatted(stamp);
        String podCondition = """
                {"status":{"conditions":[{"type":"zeroscale.io/BenchStatusOnly","status":"True","reason":"Bench",\
                "message":"a status-only update","lastTransitionTime":"%s"}]}}""".formatted(stamp);
        parallel(deployments.size(), i -> k8s.apps().deployments().inNamespace(NS).withName(deployments.get(i).getMetadata().getName())
                .subresource("status").patch(PatchContext.of(PatchType.STRATEGIC_MERGE), condition));
        parallel(pods.size(), i -> k8s.pods().inNamespace(NS).withName(pods.get(i).getMetadata().getName())
                .subresource("status").patch(PatchContext.of(PatchType.STRATEGIC_MERGE), podCondition));
        Instant patched = Instant.now();
        // Watched for QUIET after the last patch; a write is recorded (and judged by report.py), not thrown.
        awaitNoWritesSince(statusPhase, QUIET, QUIET.plusSeconds(5));
        Instant statusPhaseEnd = Instant.now();
        List<KubernetesBench.Call> calls = KubernetesBench.calls(work);

        List<KubernetesBench.Call> wakeCalls = calls.stream()
                .filter(c -> !c.received().isBefore(firstSentAt) && c.received().isBefore(statusPhase)).toList();
        List<KubernetesBench.Call> statusCalls = calls.stream().filter(c -> !c.received().isBefore(statusPhase)).toList();
        List<Map<String, Object>> scaleCalls = new ArrayList<>();
        Map<String, KubernetesBench.Call> firstRead = new LinkedHashMap<>();
        for (KubernetesBench.Call call : wakeCalls) {
            if (call.isScaleRead()) {
                firstRead.putIfAbsent(call.name(), call);
            }
        }
        for (KubernetesBench.Call call : wakeCalls) {
            if (call.isScale()) {
                // Stamps of the path to it, from the first request sent: the engine's decision
                // (client clock), the API server's receipt and answer of the read before it, the
                // receipt and answer of the write (audit log).
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("name", call.name());
                row.put("verb", call.verb());
                row.put("code", call.code());
                row.put("atMs", sinceMs(firstSentAt, call.received()));
                row.put("answeredByApiMs", sinceMs(firstSentAt, call.completed()));
                Long decided = decidedNanos.get(call.name());
                row.put("decidedMs", decided == null ? null : (decided - firstSent) / 1e6);
                KubernetesBench.Call read = firstRead.get(call.name());
                row.put("readMs", read == null ? null : sinceMs(firstSentAt, read.received()));
                row.put("readAnsweredMs", read == null ? null : sinceMs(firstSentAt, read.completed()));
                scaleCalls.add(row);
            }
        }

        Map<String, Object> results = new LinkedHashMap<>();
        results.put("setup", Map.ofEntries(
                Map.entry("deployments", DEPLOYMENTS),
                Map.entry("callsPerSecond", callsPerSecond),
                Map.entry("callsPerSecondSource", "the engine's per-orchestrator rate limit, ActuationSettings.DEFAULT (the daemon"
                        + " config has no key for it)"),
                Map.entry("boundSeconds", boundSeconds),
                Map.entry("controlPlane", "etcd, kube-apiserver, kube-controller-manager, kube-scheduler " + KubernetesPeer.VERSION
                        + " built from source (component defaults: controller-manager client 20 QPS), one kwok node"),
                Map.entry("pods", "busybox httpd as a local process per pod (testkit PodNetwork), serving /<deployment>/"),
                Map.entry("daemon", "in-process, the distribution's kubernetes plugin, the shipped ServiceAccount and ClusterRole;"
                        + " one target per Deployment, zero-to-n 0..1, idle 30m, wake-timeout 20m"),
                Map.entry("setupSeconds", setupSeconds),
                Map.entry("daemonObservedAllSeconds", observedSeconds),
                Map.entry("quietSeconds", QUIET.toSeconds())));
        results.put("loadAverage", Map.of("atWake", loadAtWake, "afterWake", loadAfterWake));
        results.put("sendSpreadMs", (lastSent - firstSent) / 1e6);
        results.put("firstSentAt", firstSentAt.toString());
        results.put("scaleCalls", scaleCalls);
        results.put("responses", responses);
        results.put("answeredByItsPod", answeredByItsPod);
        results.put("podProcessesStarted", peer.podNetwork().processes().size());
        results.put("wakeWrites", KubernetesBench.writesByKind(wakeCalls));
        results.put("statusOnly", Map.of(
                "deploymentsPatched", deployments.size(),
                "podsPatched", pods.size(),
                "patchSeconds", Duration.between(statusPhase, patched).toNanos() / 1e9,
                "observedSeconds", Duration.between(statusPhase, statusPhaseEnd).toNanos() / 1e9,
                "daemonWrites", KubernetesBench.writesByKind(statusCalls),
                "daemonCalls", statusCalls.size()));
        results.put("samples", responses.size());
        KubernetesBench.writeResults("zeroscale.k8s-mass-wake.results", results);

        assertThat(answeredByItsPod).as("requests answered 200 by their own Deployment's pod; the others: %s",
                responses.stream().filter(r -> !Integer.valueOf(200).equals(r.get("status"))).limit(10).toList())
                .isEqualTo(DEPLOYMENTS);
    }

    private DaemonConfig config(Path kubeconfig) throws Exception {
        StringBuilder yaml = new StringBuilder("""
                orchestrators:
                  cluster: { type: kubernetes, kubeconfig: "%s" }
                targets:
                """.formatted(kubeconfig));
        for (int i = 0; i < DEPLOYMENTS; i++) {
            yaml.append(String.format(Locale.ROOT, "  %1$s: { orchestrator: cluster, workload: { kind: Deployment, namespace: %2$s,"
                    + " name: %1$s }, route: { path: /%1$s/ }, policy: { automaton: zero-to-n, idle: 30m, wake-timeout: 20m,"
                    + " replicas: { min: 0, max: 1 } } }%n", name(i), NS));
        }
        Path file = Files.writeString(work.resolve("zeroscale.yaml"), yaml.toString(), UTF_8);
        Map<String, String> overrides = new LinkedHashMap<>();
        overrides.put("gateway.listen", "127.0.0.1:0");
        overrides.put("api.listen", "127.0.0.1:0");
        overrides.put("data-dir", work.resolve("data").toString());
        // Every request comes from this one client address.
        overrides.put("gateway.max-held-per-client", Integer.toString(DEPLOYMENTS * 2));
        overrides.put("gateway.max-connections-per-client", Integer.toString(DEPLOYMENTS * 4));
        return ConfigLoader.fromEnvironment().load(file, overrides);
    }

    private int stateCount(String state) throws Exception {
        int count = 0;
        for (JsonNode target : api.get("/targets")) {
            if (state.equals(target.path("state").asText())) {
                count++;
            }
        }
        return count;
    }

    /**
     * Waits until the daemon has made no write since {@code since} for {@code quiet} (polled every
     * 250 ms), at most {@code atMost}; a write seen is left in the audit log for the caller to count.
     */
    private void awaitNoWritesSince(Instant since, Duration quiet, Duration atMost) {
        try {
            await("no write of the daemon for " + quiet).during(quiet).atMost(atMost).pollInterval(Duration.ofMillis(250))
                    .until(() -> KubernetesBench.calls(work).stream().filter(c -> c.isWrite() && !c.received().isBefore(since))
                            .map(KubernetesBench.Call::received).max(Instant::compareTo).map(last -> last.plus(quiet)
                                    .isBefore(Instant.now())).orElse(true));
        } catch (org.awaitility.core.ConditionTimeoutException writesSeen) {
            // Recorded by the caller from the audit log.
        }
    }

    private static void createAtZero(KubernetesClient k8s) throws Exception {
        k8s.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
        parallel(DEPLOYMENTS, i -> {
            String name = name(i);
            k8s.apps().deployments().inNamespace(NS).resource(new DeploymentBuilder()
                    .withNewMetadata().withName(name).endMetadata()
                    .withNewSpec()
                        .withReplicas(0)
                        .withNewSelector().addToMatchLabels("app", name).endSelector()
                        .withNewTemplate()
                            .withNewMetadata().addToLabels("app", name).endMetadata()
                            .withNewSpec()
                                .addNewContainer().withName("web").withImage("zeroscale/httpd:test")
                                    .addNewPort().withName("http").withContainerPort(8080).endPort()
                                .endContainer()
                            .endSpec()
                        .endTemplate()
                    .endSpec()
                    .build()).create();
            k8s.services().inNamespace(NS).resource(new ServiceBuilder()
                    .withNewMetadata().withName(name).endMetadata()
                    .withNewSpec()
                        .addToSelector("app", name)
                        .addNewPort().withName("http").withPort(80).withTargetPort(new IntOrString("http")).endPort()
                    .endSpec()
                    .build()).create();
        });
    }

    /** Runs {@code task} for 0..count-1 on virtual threads, 16 at a time; rethrows the first failure. */
    private static void parallel(int count, java.util.function.IntConsumer task) throws Exception {
        Semaphore permits = new Semaphore(16);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int index = i;
                done.add(threads.submit(() -> {
                    permits.acquire();
                    try {
                        task.accept(index);
                    } finally {
                        permits.release();
                    }
                    return null;
                }));
            }
            for (Future<?> future : done) {
                future.get();
            }
        }
    }

    /** busybox httpd serving the pod's name on {@code /<deployment>/} (the pod's name up to its first '-'). */
    private static PodCommand servesItsDeploymentPath() {
        return pod -> {
            String deployment = pod.name().substring(0, pod.name().indexOf('-'));
            return List.of("busybox", "sh", "-c", "mkdir -p " + deployment + " && cp index.html " + deployment + "/"
                    + " && exec busybox httpd -f -p " + pod.ip() + ":" + pod.port() + " -h " + pod.directory());
        };
    }

    private static double sinceMs(Instant from, Instant to) {
        return Duration.between(from, to).toNanos() / 1e6;
    }

    private static String name(int i) {
        return String.format(Locale.ROOT, "w%04d", i);
    }
}
