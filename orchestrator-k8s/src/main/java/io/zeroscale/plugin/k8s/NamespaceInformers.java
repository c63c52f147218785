package io.zeroscale.plugin.k8s;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared informers of one namespace: one watch per resource type for every target there
 * (pods, EndpointSlices, Services, HorizontalPodAutoscalers, and each workload kind in use), so a
 * thousand targets in a namespace cost a handful of watches, not thousands. Every change is handed
 * to {@code onChange} with the object it concerns, which recomputes from these caches only the
 * targets that object can change (a thousand targets must not all be recomputed for each of their
 * pods' status updates). Informers
 * re-list and re-watch by themselves after a dropped connection (fabric8's reconnect), so nothing
 * here polls. Thread-safe.
 */
final class NamespaceInformers implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NamespaceInformers.class);

    private final String namespace;
    private final KubernetesClient client;
    private final Changes onChange;
    private final SharedIndexInformer<Pod> pods;
    private final SharedIndexInformer<EndpointSlice> slices;
    private final SharedIndexInformer<Service> services;
    private final SharedIndexInformer<HorizontalPodAutoscaler> autoscalers;
    private final Map<String, SharedIndexInformer<GenericKubernetesResource>> workloads = new ConcurrentHashMap<>();
    private final List<CompletableFuture<Void>> started = new ArrayList<>();

    /** Told of every change in the namespace. */
    @FunctionalInterface
    interface Changes {
        /**
         * {@code objects} changed: the object added or deleted, or both versions of an updated one;
         * none after an informer's listing, when anything may have changed. Called on an informer's
         * thread; must not block.
         */
        void changed(List<? extends HasMetadata> objects);
    }

    NamespaceInformers(String namespace, KubernetesClient client, PodOrder order, Changes onChange) {
        this.namespace = namespace;
        this.client = client;
        this.onChange = onChange;
        this.pods = client.pods().inNamespace(namespace).runnableInformer(0);
        pods.addEventHandler(handler(order::see, pod -> order.forget(pod.getMetadata().getUid()), order::save));
        this.slices = client.discovery().v1().endpointSlices().inNamespace(namespace).runnableInformer(0);
        slices.addEventHandler(handler(s -> {}, s -> {}, () -> {}));
        this.services = client.services().inNamespace(namespace).runnableInformer(0);
        services.addEventHandler(handler(s -> {}, s -> {}, () -> {}));
        this.autoscalers = client.autoscaling().v2().horizontalPodAutoscalers().inNamespace(namespace).runnableInformer(0);
        autoscalers.addEventHandler(handler(s -> {}, s -> {}, () -> {}));
        start(pods, "pods", () -> prune(order));
        start(slices, "endpointslices", () -> {});
        start(services, "services", () -> {});
        start(autoscalers, "horizontalpodautoscalers", () -> {});
    }

    private <T extends HasMetadata> ResourceEventHandler<T> handler(Consumer<T> added, Consumer<T> deleted, Runnable after) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                added.accept(obj);
                after.run();
                onChange.changed(List.of(obj));
            }

            @Override
            public void onUpdate(T old, T obj) {
                onChange.changed(List.of(old, obj));
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                deleted.accept(obj);
                after.run();
                onChange.changed(List.of(obj));
            }
        };
    }

    /**
     * The pods' first full listing: the numbers of pods deleted while no daemon watched can go
     * (later deletions arrive as delete events, also after a re-list).
     */
    private void prune(PodOrder order) {
        Set<String> existing = new HashSet<>();
        for (Pod pod : pods.getStore().list()) {
            existing.add(pod.getMetadata().getUid());
        }
        int dropped = order.prune(namespace, existing);
        if (dropped > 0) {
            log.debug("namespace {}: forgot the order of {} pods that no longer exist", namespace, dropped);
            order.save();
        }
    }

    private void start(SharedIndexInformer<?> informer, String what, Runnable onSynced) {
        CompletableFuture<Void> synced = informer.start().toCompletableFuture();
        synced.whenComplete((ok, failure) -> {
            if (failure != null) {
                log.warn("namespace {}: the {} informer could not list yet; it keeps retrying", namespace, what, failure);
            } else {
                onSynced.run();
                onChange.changed(List.of());
            }
        });
        synchronized (started) {
            started.add(synced);
        }
    }

    /** Starts the informer of a workload kind if this namespace has none yet. */
    void watchKind(String key, ResourceDefinitionContext context) {
        workloads.computeIfAbsent(key, k -> {
            SharedIndexInformer<GenericKubernetesResource> informer =
                    client.genericKubernetesResources(context).inNamespace(namespace).runnableInformer(0);
            informer.addEventHandler(handler(w -> {}, w -> {}, () -> {}));
            start(informer, context.getPlural(), () -> {});
            return informer;
        });
    }

    /** True once every informer here listed its resources at least once. */
    boolean synced() {
        if (!pods.hasSynced() || !slices.hasSynced() || !services.hasSynced()) {
            return false;
        }
        return workloads.values().stream().allMatch(SharedIndexInformer::hasSynced);
    }

    /** True once the HPA informer listed; before, or when it may not list HPAs, it knows nothing. */
    boolean autoscalersSynced() {
        return autoscalers.hasSynced();
    }

    @Nullable GenericKubernetesResource workload(String kindKey, String name) {
        SharedIndexInformer<GenericKubernetesResource> informer = workloads.get(kindKey);
        return informer == null ? null : informer.getStore().getByKey(namespace + "/" + name);
    }

    Collection<Pod> pods() {
        return pods.getStore().list();
    }

    List<EndpointSlice> slicesOf(String service) {
        return slices.getStore().list().stream()
                .filter(s -> s.getMetadata().getLabels() != null
                        && service.equals(s.getMetadata().getLabels().get("kubernetes.io/service-name")))
                .toList();
    }

    Collection<Service> services() {
        return services.getStore().list();
    }

    Collection<HorizontalPodAutoscaler> autoscalers() {
        return autoscalers.getStore().list();
    }

    @Override
    public void close() {
        pods.close();
        slices.close();
        services.close();
        autoscalers.close();
        workloads.values().forEach(SharedIndexInformer::close);
    }
}
