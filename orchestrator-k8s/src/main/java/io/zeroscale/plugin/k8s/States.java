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
import java.util.Comparator;
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
 *       chosen port that belong to a ready pod, oldest pod first ({@link PodOrder}; for a
 *       StatefulSet the lowest ordinal first, see {@link #order}). An endpoint is
 *       listed only while its pod counts as ready, so the counts and the list agree the moment a
 *       pod goes, whichever informer hears of it first.
 * </ul>
 */
final class States {
    /** The label the StatefulSet controller puts the ordinal in (Kubernetes 1.28 and later). */
    static final String POD_INDEX = "apps.kubernetes.io/pod-index";

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

    /** The containers of the resource's pod template ({@code spec.template.spec.containers}). */
    static List<Map<?, ?>> templateContainers(GenericKubernetesResource workload) {
        List<Map<?, ?>> out = new ArrayList<>();
        if (spec(workload).get("template") instanceof Map<?, ?> template
                && template.get("spec") instanceof Map<?, ?> podSpec
                && podSpec.get("containers") instanceof List<?> containers) {
            for (Object c : containers) {
                if (c instanceof Map<?, ?> map) {
                    out.add(map);
                }
            }
        }
        return out;
    }

    /** A StatefulSet's first ordinal ({@code spec.ordinals.start}, 0 when unset). */
    static int ordinalStart(GenericKubernetesResource workload) {
        return spec(workload).get("ordinals") instanceof Map<?, ?> ordinals && ordinals.get("start") instanceof Number n
                ? n.intValue() : 0;
    }

    /**
     * True while the workload's controller replaces pods for a changed template: it has not seen
     * the newest spec yet, or (Deployment) fewer pods run the newest template than exist, or
     * (StatefulSet) the current revision is not the update revision.
     */
    static boolean rollingOut(GenericKubernetesResource workload) {
        Map<?, ?> status = workload.getAdditionalProperties().get("status") instanceof Map<?, ?> m ? m : Map.of();
        Long generation = workload.getMetadata() == null ? null : workload.getMetadata().getGeneration();
        if (generation != null && status.get("observedGeneration") instanceof Number observed
                && observed.longValue() < generation) {
            return true;
        }
        if (status.get("updatedReplicas") instanceof Number updated && status.get("replicas") instanceof Number all
                && updated.intValue() < all.intValue()) {
            return true;
        }
        Object current = status.get("currentRevision");
        Object update = status.get("updateRevision");
        return current != null && update != null && !current.equals(update);
    }

    /** The pods among {@code pods} that the workload's selector matches and that have not finished. */
    static List<Pod> podsOf(KubernetesSerialization json, GenericKubernetesResource workload, Collection<Pod> pods) {
        LabelSelector selector = selector(json, workload);
        List<Pod> mine = new ArrayList<>();
        for (Pod pod : pods) {
            if (Selectors.matches(selector, pod.getMetadata().getLabels()) && !isFinished(pod)) {
                mine.add(pod);
            }
        }
        return mine;
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
            Collection<Pod> pods, Collection<EndpointSlice> slices, @Nullable String portName, Comparator<Pod> order,
            Instant at) {
        List<Pod> mine = podsOf(json, workload, pods);
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
        placed.sort((a, b) -> order.compare(a.pod, b.pod));
        Set<Endpoint> endpoints = new LinkedHashSet<>();
        for (Placed p : placed) {
            endpoints.add(p.endpoint);
        }
        return new ObservedState(desired(workload), mine.size(), readyByUid.size(), 0, List.copyOf(endpoints), at);
    }

    /**
     * The order of a workload's ready endpoints. Oldest pod first ({@link PodOrder}), except for a
     * StatefulSet: lowest ordinal first, because a StatefulSet scaled down removes its highest
     * ordinals, and the engine drains the end of the list before it scales down (an ordinal
     * re-created after an eviction is younger than the others but still not the one to go).
     */
    static Comparator<Pod> order(WorkloadSpec spec, PodOrder order) {
        if (!isStatefulSet(spec)) {
            return order.comparator();
        }
        return Comparator.comparingInt((Pod p) -> {
            Integer ordinal = ordinal(spec, p);
            return ordinal == null ? Integer.MAX_VALUE : ordinal;
        }).thenComparing(order.comparator());
    }

    static boolean isStatefulSet(WorkloadSpec spec) {
        return "StatefulSet".equals(spec.kind()) && "apps/v1".equals(spec.apiVersion());
    }

    /**
     * A StatefulSet pod's ordinal: its {@code apps.kubernetes.io/pod-index} label, else the number
     * after {@code <statefulset>-} in its name; null when neither says.
     */
    static @Nullable Integer ordinal(WorkloadSpec spec, Pod pod) {
        Map<String, String> labels = pod.getMetadata().getLabels();
        String text = labels == null ? null : labels.get(POD_INDEX);
        String name = pod.getMetadata().getName();
        if (text == null && name != null && name.startsWith(spec.name() + "-")) {
            text = name.substring(spec.name().length() + 1);
        }
        if (text == null || text.isEmpty() || text.length() > 9 || !text.chars().allMatch(Character::isDigit)) {
            return null;
        }
        return Integer.parseInt(text);
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
