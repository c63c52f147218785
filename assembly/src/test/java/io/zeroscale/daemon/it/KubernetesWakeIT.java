package io.zeroscale.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.zeroscale.daemon.Plugins;
import io.zeroscale.testkit.KubernetesPeer;
import io.zeroscale.testkit.PodNetwork;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The daemon from the built distribution, with the kubernetes plugin from its plugins/kubernetes/,
 * in front of a Deployment at zero on a real control plane (testkit's {@link KubernetesPeer}):
 * a request through the daemon's gateway wakes the Deployment and is answered by its pod, a real
 * process on the pod's IP in the test's network namespace (busybox httpd serving the pod's name);
 * after the idle time the daemon scales it back to zero and the pod's process stops.
 */
class KubernetesWakeIT extends OnKubernetes {
    private static final String NS = "shop";

    @Test
    void aRequestThroughTheGatewayWakesADeploymentFromZeroAndItsPodAnswers() throws Exception {
        webAtZero(NS);
        try (Plugins plugins = Distribution.loadPlugins()) {
            assertThat(plugins.found()).anySatisfy(found -> {
                assertThat(found.plugin().getClass().getName()).isEqualTo("io.zeroscale.plugin.k8s.KubernetesPlugin");
                assertThat(found.origin()).isEqualTo(Distribution.plugins().resolve("kubernetes").toString());
            });
        }
        startOnWeb(NS, """
                automaton: zero-to-n
                idle: 15s
                wake-timeout: 2m
                replicas: { min: 0, max: 1 }
                """);
        await("the target observed at zero").atMost(Duration.ofMinutes(1))
                .untilAsserted(() -> assertThat(api.target("web").path("state").asText()).isEqualTo("ZERO"));

        // ZERO -> WAKING -> ACTIVE: the request is held until the pod is ready, then forwarded to it.
        long sent = System.nanoTime();
        HttpResponse<String> first = api.request("/");
        long answered = System.nanoTime();

        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        List<PodNetwork.PodProcess> running = peer.podNetwork().running();
        assertThat(running).hasSize(1);
        assertThat(first.body()).as("answered by the Deployment's pod").isEqualTo(running.get(0).name() + "\n");
        assertThat(running.get(0).name()).startsWith("web-");
        // Reported, not asserted (shared machine): the first answer and the pod's own start-to-ready.
        System.out.printf(java.util.Locale.ROOT, "KubernetesWakeIT: first response through the gateway %d ms after the request;"
                        + " the pod's process answered its first probe %d ms after launch%n",
                Duration.ofNanos(answered - sent).toMillis(), running.get(0).startToAnswer().orElseThrow().toMillis());
        assertThat(api.states("web")).startsWith("ZERO", "WAKING", "ACTIVE");
        assertThat(k8s.apps().deployments().inNamespace(NS).withName("web").get().getSpec().getReplicas()).isEqualTo(1);

        // Idle 15 s: back to zero through /scale; the pod and its process go.
        await("idle to zero").atMost(Duration.ofMinutes(2))
                .untilAsserted(() -> assertThat(api.states("web")).endsWith("ZERO").hasSizeGreaterThan(3));
        // The state turns ZERO at the decision; the scale call follows on the target's call queue.
        Deployment idle = await("the Deployment scaled to 0").atMost(Duration.ofMinutes(1))
                .until(() -> k8s.apps().deployments().inNamespace(NS).withName("web").get(), d -> d.getSpec().getReplicas() == 0);
        assertThat(idle.getMetadata().getAnnotations()).containsEntry("zeroscale.io/replicas-before-zero", "1");
        await("the pod's process stopped").atMost(Duration.ofMinutes(1)).until(() -> peer.podNetwork().running().isEmpty());
        assertThat(api.journal("web")).noneMatch(entry -> List.of("SAFETY", "ACTUATION_FAILED", "ALERT", "FAILED_HELD")
                .contains(entry.path("kind").asText()));

        // The state changes, as Kubernetes Events on the Deployment (kubectl events --for deploy/web).
        List<io.fabric8.kubernetes.api.model.events.v1.Event> events = await("the Events of the way back to zero")
                .atMost(Duration.ofMinutes(1))
                .until(() -> zeroscaleEvents(), e -> !e.isEmpty() && e.get(e.size() - 1).getReason().equals("Zero"));
        List<String> states = api.states("web");
        // One Event per change of state, its reason the new state (ZERO -> Zero), and nothing for
        // decisions that change no state; at most one more for the first decision at start.
        String[] changes = states.subList(1, states.size()).stream()
                .map(state -> state.charAt(0) + state.substring(1).toLowerCase(java.util.Locale.ROOT)).toArray(String[]::new);
        assertThat(events).extracting(io.fabric8.kubernetes.api.model.events.v1.Event::getReason)
                .containsSubsequence("Waking", "Active", "Zero")
                .endsWith(changes)
                .hasSizeLessThanOrEqualTo(changes.length + 1);
        assertThat(events).allSatisfy(e -> {
            assertThat(e.getType()).isEqualTo("Normal");
            assertThat(e.getRegarding().getUid()).isEqualTo(idle.getMetadata().getUid());
        });
        assertThat(events.get(events.size() - 1).getNote()).startsWith(states.get(states.size() - 2) + " -> ZERO: ");
    }

    /** The Events the daemon wrote about the Deployment, in the order written (their names carry the time). */
    private List<io.fabric8.kubernetes.api.model.events.v1.Event> zeroscaleEvents() {
        return k8s.events().v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> "zeroscale".equals(e.getReportingController()) && "web".equals(e.getRegarding().getName()))
                .sorted(java.util.Comparator.comparing(e -> e.getMetadata().getName()))
                .toList();
    }
}
