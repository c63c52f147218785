package io.zeroscale.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * The engine's chosen drain on a real control plane, with the daemon from the built distribution:
 * a Deployment at 3 overridden to 1. The engine drains the two newest ready pods through the
 * gateway, the kubernetes plugin removes exactly those (their deletion cost set to the lowest
 * before the count drops, their UIDs recorded on the Deployment), and the engine's following scale
 * to 1 writes nothing. The first pod, the oldest, is the one left and answers.
 */
class KubernetesChosenDrainIT extends OnKubernetes {
    private static final String NS = "drain";

    @Test
    void threeToOneRemovesExactlyTheTwoNewestPods() throws Exception {
        webAtZero(NS);
        // Every pod's annotations at the moment it was deleted: the deletion cost must have come first.
        Map<String, Map<String, String>> deleted = new ConcurrentHashMap<>();
        closeAfter(k8s.pods().inNamespace(NS).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, Pod pod) {
                if (pod.getMetadata().getDeletionTimestamp() != null || action == Action.DELETED) {
                    deleted.putIfAbsent(pod.getMetadata().getName(), pod.getMetadata().getAnnotations() == null
                            ? Map.of() : Map.copyOf(pod.getMetadata().getAnnotations()));
                }
            }

            @Override
            public void onClose(WatcherException cause) {}
        }));

        startOnWeb(NS, """
                automaton: zero-to-n
                idle: 10m
                wake-timeout: 2m
                replicas: { min: 0, max: 3 }
                """);

        assertThat(api.request("/").statusCode()).as("the wake from zero").isEqualTo(200);
        String first = onlyPod();
        daemon.daemon().zeroscale().engine().setOverride("web", 3, null, "KubernetesChosenDrainIT");
        await("3 ready").atMost(Duration.ofMinutes(1))
                .until(() -> api.target("web").path("replicas").path("ready").asInt() == 3);
        Set<String> newest = new TreeSet<>();
        for (Pod pod : k8s.pods().inNamespace(NS).list().getItems()) {
            if (!pod.getMetadata().getName().equals(first)) {
                newest.add(pod.getMetadata().getName());
            }
        }
        Map<String, String> uids = new LinkedHashMap<>();
        k8s.pods().inNamespace(NS).list().getItems().forEach(p -> uids.put(p.getMetadata().getName(), p.getMetadata().getUid()));

        daemon.daemon().zeroscale().engine().setOverride("web", 1, null, "KubernetesChosenDrainIT");

        await("the two newest pods gone").atMost(Duration.ofMinutes(1))
                .until(() -> deleted.keySet().containsAll(newest) && k8s.pods().inNamespace(NS).list().getItems().size() == 1);
        assertThat(onlyPod()).as("the pod left is the first, the oldest").isEqualTo(first);
        assertThat(deleted).as("pods deleted").containsOnlyKeys(newest);
        assertThat(deleted.values()).as("each removed pod carried the lowest deletion cost when it was deleted")
                .allSatisfy(a -> assertThat(a).containsEntry("controller.kubernetes.io/pod-deletion-cost", "-2147483648"));
        Deployment web = k8s.apps().deployments().inNamespace(NS).withName("web").get();
        assertThat(web.getSpec().getReplicas()).isEqualTo(1);
        assertThat(Arrays.stream(web.getMetadata().getAnnotations().get("zeroscale.io/removed-pods").split(",")).toList())
                .as("the removal recorded the two pods' UIDs").containsExactlyInAnyOrderElementsOf(
                        newest.stream().map(uids::get).toList());
        assertThat(api.request("/").body()).as("answered by the pod left").isEqualTo(first + "\n");
        List<String> journal = api.journalMessages("web");
        assertThat(journal).anyMatch(m -> m.startsWith("draining [") && m.contains("to go down to 1"));
        assertThat(api.journal("web")).noneMatch(entry -> List.of("SAFETY", "ACTUATION_FAILED", "ALERT", "FAILED_HELD")
                .contains(entry.path("kind").asText()));
    }

    private String onlyPod() {
        List<Pod> pods = k8s.pods().inNamespace(NS).list().getItems();
        assertThat(pods).hasSize(1);
        return pods.get(0).getMetadata().getName();
    }
}
