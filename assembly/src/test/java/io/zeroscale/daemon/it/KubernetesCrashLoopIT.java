package io.zeroscale.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.zeroscale.testkit.PodCommand;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A crash-looping pod, through the daemon, its gateway and the kubernetes plugin on a real control
 * plane: the request that wakes the Deployment is held while its pod's container exits, restarts
 * and exits again, and is then answered 503 with the reason (the pod, the exit status, the
 * container's last output) and a Retry-After, long before the wake timeout. The fake nodes have no
 * kubelet: the pod's process exits at once, so the fixture never marks it ready, and the test
 * writes what the kubelet would into the pod's status (the exit, then CrashLoopBackOff).
 */
class KubernetesCrashLoopIT extends OnKubernetes {
    private static final String NS = "crash";
    private static final String OUTPUT = "panic: DATABASE_URL is not set";

    @Override
    protected PodCommand podCommand() {
        return pod -> List.of("sh", "-c", "echo '" + OUTPUT + "'; exit 1");
    }

    @Test
    void aHeldRequestGets503WithTheReasonAndRetryAfterWhenThePodCrashLoops() throws Exception {
        webAtZero(NS);
        startOnWeb(NS, "{ idle: 10m, wake-timeout: 2m }");
        await("the target observed at zero").atMost(Duration.ofMinutes(1))
                .until(() -> api.target("web").path("state").asText().equals("ZERO"));

        CompletableFuture<HttpResponse<String>> held = http.sendAsync(gatewayRequest("/").timeout(Duration.ofMinutes(1)).build(),
                HttpResponse.BodyHandlers.ofString());
        String pod = await("the pod of the wake").atMost(Duration.ofMinutes(1))
                .until(() -> k8s.pods().inNamespace(NS).list().getItems(), pods -> pods.size() == 1).getFirst().getMetadata().getName();

        // The container exits with status 1; the kubelet holds its restart back.
        exited(pod, "containerd://c1", 1);
        await("the first failure counted").atMost(Duration.ofSeconds(30))
                .until(() -> api.target("web").path("startFailures").path("failuresInARow").asInt() == 1);
        assertThat(held).as("held through the first failure: the policy gives up after 2").isNotDone();
        // Restarted, it exits again.
        exited(pod, "containerd://c2", 2);
        long secondExit = System.nanoTime();

        HttpResponse<String> answered = held.get(30, TimeUnit.SECONDS);
        System.out.printf("KubernetesCrashLoopIT: the held request answered %d ms after the second exit was written%n",
                Duration.ofNanos(System.nanoTime() - secondExit).toMillis());
        assertThat(answered.statusCode()).as(answered.body()).isEqualTo(503);
        assertThat(answered.body()).startsWith("target web cannot start: replica " + pod + " ")
                .contains("pod " + pod + " container web exited with status 1 (Error)", "last output: " + OUTPUT)
                .contains("2 failed starts in a row");
        assertThat(Long.parseLong(answered.headers().firstValue("Retry-After").orElseThrow())).isBetween(1L, 2L);
        assertThat(api.target("web").path("startFailures").path("gaveUp").asBoolean()).isTrue();
        assertThat(api.journal("web")).filteredOn(entry -> entry.path("kind").asText().equals("START_FAILURES")).singleElement()
                .satisfies(entry -> assertThat(entry.path("message").asText()).contains("exited with status 1", OUTPUT));
    }

    /**
     * Writes the pod's status as the kubelet does after its container {@code id} exited with status
     * 1: not ready, waiting in CrashLoopBackOff, the exit and its termination message as the last state.
     */
    private void exited(String pod, String id, int restarts) {
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        Map<String, Object> container = Map.of("name", "web", "image", "zeroscale/httpd:test", "imageID", "", "ready", false,
                "restartCount", restarts,
                "state", Map.of("waiting", Map.of("reason", "CrashLoopBackOff", "message", "back-off 10s restarting failed container=web")),
                "lastState", Map.of("terminated", Map.of("exitCode", 1, "reason", "Error", "containerID", id, "startedAt", now,
                        "finishedAt", now, "message", OUTPUT + "\n")));
        Map<String, Object> status = Map.of(
                "conditions", List.of(
                        Map.of("type", "Ready", "status", "False", "lastTransitionTime", now),
                        Map.of("type", "ContainersReady", "status", "False", "lastTransitionTime", now)),
                "containerStatuses", List.of(container));
        k8s.pods().inNamespace(NS).withName(pod).subresource("status")
                .patch(PatchContext.of(PatchType.STRATEGIC_MERGE), k8s.getKubernetesSerialization().asJson(Map.of("status", status)));
    }
}
