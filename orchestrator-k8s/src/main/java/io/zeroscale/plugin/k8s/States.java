package io.zeroscale.plugin.k8s;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.ObservedState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Turns what the API server holds about a workload (the resource, its pods, its Service's
 * EndpointSlices) into an {@link ObservedState}. The same function serves {@code observe} (fresh
 * reads) and the informers (their caches), so both report alike.
 *
 * <ul>
 *   <li>desired: the resource's {@code spec.replicas} (a missing value means 1, as the API
 *       server defaults it);
 *   <li>replicas: the pods the resource's {@code spec.selector} matches that have not finished
 *       (phase neither Succeeded nor Failed), terminating ones included: they still exist;
 *   <li>ready: those pods that are not terminating and whose {@code Ready} condition is True;
 *   <li>endpoints: the ready, non-terminating endpoints of the Service's EndpointSlices at the
 *       chosen port that belong to a ready pod, oldest pod first ({@link PodOrder}). An endpoint is
 *       listed only while its pod counts as ready, so the counts and the list agree the moment a
 *       pod goes, whichever informer hears of it first.
 * </ul>
 */
final class States {
    private States() {}

    /** The resource's {@code spec.replicas}, 1 when unset. */
    static int desired(GenericKubernetesResource workload) {
        Object value = spec(workload).get("replicas");
        return value instanceof Number n ? n.intValue() : 1;
    }

    /** The resource's {@code spec.selector}, or null when it has none. */
    static @Nullable LabelSelector selector(KubernetesSerialization json, GenericKubernetesResource workload) {
        Object selector = spec(workload).get("selector");
        if (!(selector instanceof Map<?, ?>)) {
            return null;
        }
        return json.convertValue(selector, LabelSelector.class);
    }

    /** The labels of the resource's pod template ({@code spec.template.metadata.labels}). */
    static Map<String, String> templateLabels(GenericKubernetesResource workload) {
        if (spec(workload).get("template") instanceof Map<?, ?> template
                && template.get("metadata") instanceof Map<?, ?> metadata
                && metadata.get("labels") instanceof Map<?, ?> labels) {
            Map<String, String> out = new HashMap<>();
            labels.forEach((k, v) -> out.put(String.valueOf(k), String.valueOf(v)));
            return out;
        }
        return Map.of();
    }

    private static Map<?, ?> spec(GenericKubernetesResource workload) {
        Object spec = workload.getAdditionalProperties().get("spec");
        return spec instanceof Map<?, ?> map ? map : Map.of();
    }

    static boolean isReady(Pod pod) {
        return pod.getMetadata().getDeletionTimestamp() == null
                && pod.getStatus() != null
                && pod.getStatus().getConditions() != null
                && pod.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    static boolean isFinished(Pod pod) {
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        return "Succeeded".equals(phase) || "Failed".equals(phase);
    }

    /**
     * The state of a workload.
     *
     * @param pods candidate pods (all of the namespace or the selector's), filtered here
     * @param slices the Service's EndpointSlices (may be empty: no Service)
     * @param portName the EndpointSlice port to use (the Service port's name, "" when unnamed),
     *     or null for no endpoints
     */
    static ObservedState compute(KubernetesSerialization json, GenericKubernetesResource workload,
            Collection<Pod> pods, Collection<EndpointSlice> slices, @Nullable String portName, PodOrder order,
            Instant at) {
        LabelSelector selector = selector(json, workload);
        List<Pod> mine = new ArrayList<>();
        for (Pod pod : pods) {
            if (Selectors.matches(selector, pod.getMetadata().getLabels()) && !isFinished(pod)) {
                mine.add(pod);
            }
        }
        Map<String, Pod> readyByUid = new HashMap<>();
        Map<String, Pod> readyByName = new HashMap<>();
        for (Pod pod : mine) {
            if (isReady(pod)) {
                readyByUid.put(pod.getMetadata().getUid(), pod);
                readyByName.put(pod.getMetadata().getName(), pod);
            }
        }
        List<Placed> placed = new ArrayList<>();
        if (portName != null) {
            for (EndpointSlice slice : slices) {
                if ("FQDN".equals(slice.getAddressType()) || slice.getEndpoints() == null) {
                    continue;
                }
                Integer port = portOf(slice, portName);
                if (port == null) {
                    continue;
                }
                for (io.fabric8.kubernetes.api.model.discovery.v1.Endpoint e : slice.getEndpoints()) {
                    var conditions = e.getConditions();
                    // A missing ready condition means unknown, which consumers read as ready (API docs).
                    boolean ready = conditions == null || !Boolean.FALSE.equals(conditions.getReady());
                    boolean terminating = conditions != null && Boolean.TRUE.equals(conditions.getTerminating());
                    if (!ready || terminating || e.getAddresses() == null || e.getAddresses().isEmpty()) {
                        continue;
                    }
                    Pod pod = podOf(e.getTargetRef(), readyByUid, readyByName);
                    if (pod == null) {
                        continue;
                    }
                    placed.add(new Placed(pod, new Endpoint(e.getAddresses().get(0), port)));
                }
            }
        }
        var byPod = order.comparator();
        placed.sort((a, b) -> byPod.compare(a.pod, b.pod));
        Set<Endpoint> endpoints = new LinkedHashSet<>();
        for (Placed p : placed) {
            endpoints.add(p.endpoint);
        }
        return new ObservedState(desired(workload), mine.size(), readyByUid.size(), 0, List.copyOf(endpoints), at);
    }

    private static @Nullable Pod podOf(@Nullable ObjectReference ref, Map<String, Pod> byUid, Map<String, Pod> byName) {
        if (ref == null || !"Pod".equals(ref.getKind())) {
            return null;
        }
        Pod pod = ref.getUid() == null ? null : byUid.get(ref.getUid());
        return pod != null ? pod : ref.getName() == null ? null : byName.get(ref.getName());
    }

    private static @Nullable Integer portOf(EndpointSlice slice, String portName) {
        if (slice.getPorts() == null) {
            return null;
        }
        for (EndpointPort p : slice.getPorts()) {
            String name = p.getName() == null ? "" : p.getName();
            if (name.equals(portName) && p.getPort() != null && !"UDP".equals(p.getProtocol())
                    && !"SCTP".equals(p.getProtocol())) {
                return p.getPort();
            }
        }
        return null;
    }

    private record Placed(Pod pod, Endpoint endpoint) {
        Placed {
            Objects.requireNonNull(pod);
        }
    }
}
