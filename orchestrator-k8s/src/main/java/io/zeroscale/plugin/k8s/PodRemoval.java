package io.zeroscale.plugin.k8s;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodIP;
import io.zeroscale.spi.orchestrator.Endpoint;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The pure part of removing chosen pods ({@code Drainable.remove}) and of spotting pods the cluster
 * is about to remove ({@code WorkloadEvent.Removing}): which pods an endpoint names, which pods are
 * already leaving, and the replica count that removes exactly the chosen ones.
 *
 * <p>Deployments and ReplicaSets: the chosen pods get the annotation {@value #DELETION_COST} at
 * the lowest value ({@value #LOWEST_COST}), which the ReplicaSet controller deletes first on a
 * scale-down (after pods that are unscheduled, pending or not ready); then the count goes down by
 * as many. The workload's annotation {@value #REMOVED} lists the UIDs whose removal the count
 * already accounts for, so a repeated call lowers nothing twice. StatefulSets: a scale-down
 * removes the highest ordinals, so exactly those can go, nothing else.
 */
final class PodRemoval {
    /** The annotation the ReplicaSet controller ranks pods by on a scale-down, lowest first. */
    static final String DELETION_COST = "controller.kubernetes.io/pod-deletion-cost";
    /** The deletion cost of a pod chosen for removal: the lowest there is (int32). */
    static final String LOWEST_COST = "-2147483648";
    /** On the workload: UIDs of chosen pods the replica count already dropped, comma-separated. */
    static final String REMOVED = "zeroscale.io/removed-pods";
    /** The pod condition the cluster sets before it evicts or preempts a pod (Kubernetes 1.26+). */
    static final String DISRUPTION_TARGET = "DisruptionTarget";

    private PodRemoval() {}

    /** True for a pod the cluster is removing already: terminating, or marked as a disruption target. */
    static boolean leaving(Pod pod) {
        return pod.getMetadata().getDeletionTimestamp() != null || disruption(pod) != null;
    }

    /** The pod's {@code DisruptionTarget=True} condition (eviction, preemption, taint), or null. */
    static @Nullable PodCondition disruption(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
            return null;
        }
        for (PodCondition c : pod.getStatus().getConditions()) {
            if (DISRUPTION_TARGET.equals(c.getType()) && "True".equals(c.getStatus())) {
                return c;
            }
        }
        return null;
    }

    /** True when this orchestrator chose the pod for removal (its deletion cost is ours). */
    static boolean chosenByUs(Pod pod) {
        Map<String, String> annotations = pod.getMetadata().getAnnotations();
        return annotations != null && LOWEST_COST.equals(annotations.get(DELETION_COST));
    }

    /** The pod's IP addresses (its {@code status.podIPs}, else {@code status.podIP}). */
    static Set<String> ips(Pod pod) {
        Set<String> ips = new HashSet<>();
        if (pod.getStatus() == null) {
            return ips;
        }
        if (pod.getStatus().getPodIPs() != null) {
            for (PodIP ip : pod.getStatus().getPodIPs()) {
                if (ip.getIp() != null) {
                    ips.add(ip.getIp());
                }
            }
        }
        if (pod.getStatus().getPodIP() != null) {
            ips.add(pod.getStatus().getPodIP());
        }
        return ips;
    }

    /** The pods among {@code pods} that serve at one of {@code endpoints} (by IP: a pod has its own). */
    static List<Pod> serving(Collection<Pod> pods, Collection<Endpoint> endpoints) {
        Set<String> hosts = new HashSet<>();
        for (Endpoint e : endpoints) {
            hosts.add(e.host());
        }
        List<Pod> out = new ArrayList<>();
        for (Pod pod : pods) {
            if (ips(pod).stream().anyMatch(hosts::contains)) {
                out.add(pod);
            }
        }
        return out;
    }

    /** The endpoints among {@code endpoints} that the pod serves at. */
    static List<Endpoint> endpointsOf(Pod pod, Collection<Endpoint> endpoints) {
        Set<String> ips = ips(pod);
        return endpoints.stream().filter(e -> ips.contains(e.host())).toList();
    }

    /** The UIDs in the workload's {@value #REMOVED} annotation. */
    static Set<String> accounted(@Nullable Map<String, String> annotations) {
        String value = annotations == null ? null : annotations.get(REMOVED);
        Set<String> uids = new HashSet<>();
        if (value != null) {
            for (String uid : value.split(",")) {
                if (!uid.isBlank()) {
                    uids.add(uid.trim());
                }
            }
        }
        return uids;
    }

    /**
     * The replica count of a Deployment or ReplicaSet after removing the chosen pods.
     *
     * @param desired the count now ({@code spec.replicas})
     * @param live the pods that exist and are not leaving
     * @param staying live pods neither chosen now nor accounted for by an earlier removal
     * @param newlyChosen chosen pods the count does not account for yet
     * @return {@code desired - newlyChosen}, unless a scale made meanwhile already took them: never
     *     below what {@code min(desired, staying)} keeps, never below zero
     */
    static int replicasAfter(int desired, int live, int staying, int newlyChosen) {
        int lowered = desired - newlyChosen;
        // The count may already be lower than the pods that exist (a scale made after an earlier
        // attempt failed half-way): the pods beyond it go anyway, the chosen ones first.
        int enough = Math.min(desired, staying);
        return Math.max(0, Math.max(lowered, enough));
    }

    /**
     * Checks a StatefulSet removal: {@code ordinals} (of the chosen pods the current count still
     * keeps) must be the highest ones the count keeps, i.e. {@code start + desired - k ..
     * start + desired - 1}. Returns null when they are, else why not, in a user's words.
     */
    static @Nullable String statefulSetRefusal(String name, int start, int desired, Collection<Integer> ordinals) {
        int k = ordinals.size();
        Set<Integer> highest = new HashSet<>();
        for (int i = start + desired - k; i < start + desired; i++) {
            highest.add(i);
        }
        if (highest.equals(new HashSet<>(ordinals))) {
            return null;
        }
        List<String> wanted = ordinals.stream().sorted().map(i -> name + "-" + i).toList();
        List<String> would = highest.stream().sorted().map(i -> name + "-" + i).toList();
        return "a StatefulSet scaled down removes its highest ordinals only: removing " + String.join(", ", wanted)
                + " would take " + String.join(", ", would) + " instead. Drain the highest ordinals (the engine picks"
                + " the end of the ready endpoints, which lists a StatefulSet's pods by ordinal), or delete the pod"
                + " itself to have the StatefulSet re-create it";
    }
}
