package io.zeroscale.plugin.k8s;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.autoscaling.v1.Scale;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.zeroscale.plugin.support.SerialExecutor;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.orchestrator.ConditionalWake;
import io.zeroscale.spi.orchestrator.Endpoints;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scales Deployments, StatefulSets and any other resource with a {@code /scale} subresource, and
 * reports their state: desired replicas from the resource, replicas and readiness from its pods,
 * endpoints from the EndpointSlices of the Service in front of it.
 *
 * <p>{@link #observe} reads the API server directly (the engine wants no stale cache there);
 * {@link #watch} pushes changes from shared informers, one set per namespace. {@link #scale} writes
 * only {@code /scale} (and, on the way to zero, the annotation {@value #REPLICAS_BEFORE_ZERO} with
 * the count it had), and only when the count differs. {@link #wakeIfZero} sets {@code max(current,
 * 1)} with the resource version it read as a precondition. A workload an HPA also scales is refused.
 * Adoption needs nothing: the workload is the state, so a new instance reports what runs. Closing
 * stops the informers and leaves every workload as it is.
 */
public final class KubernetesOrchestrator implements Orchestrator, Endpoints, ConditionalWake {
    private static final Logger log = LoggerFactory.getLogger(KubernetesOrchestrator.class);
    /** The annotation that keeps a workload's replica count from before it was scaled to zero. */
    public static final String REPLICAS_BEFORE_ZERO = "zeroscale.io/replicas-before-zero";
    private static final int CONFLICT_ATTEMPTS = 5;

    private final String name;
    private final KubernetesClient client;
    private final PluginContext context;
    private final String defaultNamespace;
    private final PodOrder order;
    private final Map<TargetRef, Tracked> targets = new ConcurrentHashMap<>();
    private final Map<String, NamespaceInformers> namespaces = new ConcurrentHashMap<>();
    private final Map<String, ResourceDefinitionContext> kinds = new ConcurrentHashMap<>();
    private volatile boolean closed;

    KubernetesOrchestrator(String name, KubernetesClient client, String defaultNamespace, PodOrder order,
            PluginContext context) {
        this.name = requireNonNull(name, "name is null");
        this.client = requireNonNull(client, "client is null");
        this.defaultNamespace = requireNonNull(defaultNamespace, "defaultNamespace is null");
        this.order = requireNonNull(order, "order is null");
        this.context = requireNonNull(context, "context is null");
    }

    /** The orchestrator's name under {@code orchestrators:}. */
    public String name() {
        return name;
    }

    /** The namespace of targets that name none. */
    public String defaultNamespace() {
        return defaultNamespace;
    }

    @Override
    public void attach(Workload workload) {
        WorkloadSpec spec = WorkloadSpec.parse(workload.target(), workload.settings(), defaultNamespace);
        Tracked tracked = new Tracked(spec, new SerialExecutor(context.blockingExecutor()));
        targets.put(spec.target(), tracked);
        try {
            ResourceDefinitionContext kind = kind(spec);
            NamespaceInformers informers = namespaces.computeIfAbsent(spec.namespace(),
                    ns -> new NamespaceInformers(ns, client, order, () -> onChange(ns)));
            informers.watchKind(kindKey(spec), kind);
            refuseIfAutoscaled(spec, listAutoscalers(spec));
            GenericKubernetesResource found = resource(spec).get();
            if (found == null) {
                log.warn("{}: {} {} does not exist in namespace {} yet; it is reported once it does",
                        spec.target(), spec.kind(), spec.name(), spec.namespace());
            } else {
                ServiceChoice.choose(spec, States.templateLabels(found), listServices(spec));
            }
        } catch (ZeroscaleException e) {
            if (e.errorCode() == KubernetesErrorCode.API_UNAVAILABLE) {
                // The API server may come up after us; every call checks again.
                log.warn("{}: could not check the workload yet", spec.target(), e);
            } else {
                targets.remove(spec.target());
                throw e;
            }
        }
    }

    @Override
    public ObservedState observe(TargetRef target) {
        Tracked tracked = tracked(target);
        WorkloadSpec spec = tracked.spec;
        try {
            GenericKubernetesResource workload = resource(spec).get();
            if (workload == null) {
                throw notFound(spec);
            }
            LabelSelector selector = States.selector(client.getKubernetesSerialization(), workload);
            List<Pod> pods = selector == null || Selectors.isEmpty(selector) ? List.of()
                    : client.pods().inNamespace(spec.namespace()).withLabelSelector(selector).list().getItems();
            ServiceChoice choice = ServiceChoice.choose(spec, States.templateLabels(workload), listServices(spec));
            List<EndpointSlice> slices = choice == null ? List.of()
                    : client.discovery().v1().endpointSlices().inNamespace(spec.namespace())
                            .withLabel("kubernetes.io/service-name", choice.service()).list().getItems();
            pods.forEach(order::see);
            order.save();
            return States.compute(client.getKubernetesSerialization(), workload, pods, slices,
                    choice == null ? null : choice.portName(), order, context.scheduler().clock().instant());
        } catch (KubernetesClientException e) {
            throw failure(spec, "read", e);
        }
    }

    @Override
    public void scale(TargetRef target, int replicas) {
        if (replicas < 0) {
            throw new IllegalArgumentException("replicas must not be negative, got " + replicas);
        }
        WorkloadSpec spec = tracked(target).spec;
        refuseIfAutoscaled(spec, autoscalers(spec));
        Resource<GenericKubernetesResource> resource = resource(spec);
        try {
            Scale current = readScale(spec, resource);
            int now = specReplicas(current);
            if (now == replicas) {
                return;
            }
            if (replicas == 0) {
                // Kept where users and GitOps tools see it, e.g. to scale back by hand.
                String patch = client.getKubernetesSerialization().asJson(Map.of("metadata",
                        Map.of("annotations", Map.of(REPLICAS_BEFORE_ZERO, Integer.toString(now)))));
                resource.patch(PatchContext.of(PatchType.JSON_MERGE), patch);
            }
            // Unconditional: the engine's decision is the count to have, whatever changed meanwhile.
            current.getMetadata().setResourceVersion(null);
            current.getSpec().setReplicas(replicas);
            resource.scale(current);
            log.debug("{}: scaled {} -> {}", target, now, replicas);
        } catch (KubernetesClientException e) {
            throw failure(spec, "scale", e);
        }
    }

    @Override
    public boolean wakeIfZero(TargetRef target) {
        WorkloadSpec spec = tracked(target).spec;
        refuseIfAutoscaled(spec, autoscalers(spec));
        Resource<GenericKubernetesResource> resource = resource(spec);
        try {
            for (int attempt = 1; attempt <= CONFLICT_ATTEMPTS; attempt++) {
                Scale current = readScale(spec, resource);
                if (specReplicas(current) >= 1) {
                    return false;
                }
                // The resource version read above is the precondition: a change made meanwhile (by
                // the leader, another replica's wake) answers 409 and is read again, never undone.
                current.getSpec().setReplicas(1);
                try {
                    resource.scale(current);
                    return true;
                } catch (KubernetesClientException e) {
                    if (e.getCode() != 409) {
                        throw e;
                    }
                }
            }
            throw new ZeroscaleException(KubernetesErrorCode.API_REJECTED, target + ": the scale of " + spec.kind()
                    + " " + spec.key() + " changed under every one of " + CONFLICT_ATTEMPTS + " conditional wakes"
                    + " (409 Conflict); something else keeps writing it");
        } catch (KubernetesClientException e) {
            throw failure(spec, "wake", e);
        }
    }

    @Override
    public Subscription watch(TargetRef target, Consumer<WorkloadEvent> listener) {
        Tracked tracked = tracked(target);
        Listener entry = new Listener(listener);
        tracked.listeners.add(entry);
        // The first event is the current state, once the caches hold it (unknown is not zero).
        tracked.executor.execute(() -> push(tracked, entry, true));
        return () -> tracked.listeners.remove(entry);
    }

    private void onChange(String namespace) {
        for (Tracked tracked : targets.values()) {
            if (tracked.spec.namespace().equals(namespace) && !tracked.listeners.isEmpty()
                    && tracked.pending.compareAndSet(false, true)) {
                tracked.executor.execute(() -> {
                    tracked.pending.set(false);
                    for (Listener entry : tracked.listeners) {
                        push(tracked, entry, false);
                    }
                });
            }
        }
    }

    /** Runs on the target's serial executor: computes from the caches and tells {@code entry} if it changed. */
    private void push(Tracked tracked, Listener entry, boolean first) {
        if (closed) {
            return;
        }
        ObservedState state = cachedState(tracked);
        if (state == null) {
            return;
        }
        ObservedState last = entry.last;
        if (first || last == null || state.differsFrom(last)) {
            entry.last = state;
            entry.listener.accept(new WorkloadEvent.Changed(state));
        }
    }

    private @Nullable ObservedState cachedState(Tracked tracked) {
        WorkloadSpec spec = tracked.spec;
        NamespaceInformers informers = namespaces.get(spec.namespace());
        if (informers == null || !informers.synced()) {
            return null;
        }
        GenericKubernetesResource workload = informers.workload(kindKey(spec), spec.name());
        if (workload == null) {
            return null;
        }
        ServiceChoice choice;
        try {
            choice = ServiceChoice.choose(spec, States.templateLabels(workload), informers.services());
        } catch (ZeroscaleException e) {
            if (tracked.warned.compareAndSet(false, true)) {
                log.warn("{}: no endpoints: {}", spec.target(), e.getMessage());
            }
            choice = null;
        }
        List<EndpointSlice> slices = choice == null ? List.of() : informers.slicesOf(choice.service());
        return States.compute(client.getKubernetesSerialization(), workload, informers.pods(), slices,
                choice == null ? null : choice.portName(), order, context.scheduler().clock().instant());
    }

    private Scale readScale(WorkloadSpec spec, Resource<GenericKubernetesResource> resource) {
        Scale scale = resource.scale();
        if (scale == null) {
            throw notFound(spec);
        }
        return scale;
    }

    private static int specReplicas(Scale scale) {
        Integer replicas = scale.getSpec() == null ? null : scale.getSpec().getReplicas();
        return replicas == null ? 0 : replicas;
    }

    private Collection<HorizontalPodAutoscaler> autoscalers(WorkloadSpec spec) {
        NamespaceInformers informers = namespaces.get(spec.namespace());
        if (informers != null && informers.autoscalersSynced()) {
            return informers.autoscalers();
        }
        return listAutoscalers(spec);
    }

    private Collection<HorizontalPodAutoscaler> listAutoscalers(WorkloadSpec spec) {
        try {
            return client.autoscaling().v2().horizontalPodAutoscalers().inNamespace(spec.namespace()).list().getItems();
        } catch (KubernetesClientException e) {
            throw failure(spec, "list the HorizontalPodAutoscalers of", e);
        }
    }

    private List<Service> listServices(WorkloadSpec spec) {
        try {
            return client.services().inNamespace(spec.namespace()).list().getItems();
        } catch (KubernetesClientException e) {
            throw failure(spec, "list the Services of", e);
        }
    }

    /** Refuses a workload that an HPA scales too: the two would undo each other's counts. */
    static void refuseIfAutoscaled(WorkloadSpec spec, Collection<HorizontalPodAutoscaler> autoscalers) {
        for (HorizontalPodAutoscaler hpa : autoscalers) {
            var ref = hpa.getSpec() == null ? null : hpa.getSpec().getScaleTargetRef();
            if (ref != null && spec.kind().equals(ref.getKind()) && spec.name().equals(ref.getName())
                    && (ref.getApiVersion() == null || ref.getApiVersion().equals(spec.apiVersion()))) {
                throw new ZeroscaleException(KubernetesErrorCode.SCALED_BY_ANOTHER, spec.target() + ": "
                        + spec.kind() + " " + spec.key() + " is also scaled by the HorizontalPodAutoscaler "
                        + spec.namespace() + "/" + hpa.getMetadata().getName() + "; the two would undo each other's"
                        + " replica counts. Delete the HPA (kubectl delete hpa -n " + spec.namespace() + " "
                        + hpa.getMetadata().getName() + ") or remove this target");
            }
        }
    }

    private Resource<GenericKubernetesResource> resource(WorkloadSpec spec) {
        return client.genericKubernetesResources(kind(spec)).inNamespace(spec.namespace()).withName(spec.name());
    }

    private static String kindKey(WorkloadSpec spec) {
        return spec.apiVersion() + "/" + spec.kind();
    }

    /**
     * The resource's REST coordinates: built in for apps/v1 kinds, discovered once per kind for the
     * others, which must have a {@code scale} subresource.
     */
    private ResourceDefinitionContext kind(WorkloadSpec spec) {
        ResourceDefinitionContext builtIn = spec.builtInContext();
        if (builtIn != null) {
            return builtIn;
        }
        ResourceDefinitionContext known = kinds.get(kindKey(spec));
        if (known != null) {
            return known;
        }
        APIResourceList list;
        try {
            list = client.getApiResources(spec.apiVersion());
        } catch (KubernetesClientException e) {
            throw failure(spec, "discover the API of", e);
        }
        if (list == null) {
            throw new ZeroscaleException(io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID, "targets (" + spec.target()
                    + ").workload.api-version: the API server serves no " + spec.apiVersion() + "; check the group and"
                    + " version (kubectl api-resources lists them)");
        }
        APIResource found = null;
        boolean scalable = false;
        for (APIResource r : list.getResources()) {
            if (spec.kind().equals(r.getKind()) && !r.getName().contains("/")) {
                found = r;
            }
        }
        if (found == null) {
            throw new ZeroscaleException(io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID, "targets (" + spec.target()
                    + ").workload.kind: " + spec.apiVersion() + " has no kind " + spec.kind() + "; kubectl"
                    + " api-resources --api-group=... lists its kinds");
        }
        for (APIResource r : list.getResources()) {
            if (r.getName().equals(found.getName() + "/scale")) {
                scalable = true;
            }
        }
        if (!scalable || !Boolean.TRUE.equals(found.getNamespaced())) {
            throw new ZeroscaleException(io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID, "targets (" + spec.target()
                    + ").workload.kind: " + spec.kind() + " (" + spec.apiVersion() + ") "
                    + (scalable ? "is not namespaced" : "has no scale subresource")
                    + "; the kubernetes orchestrator scales namespaced resources through /scale only");
        }
        ResourceDefinitionContext context = ResourceDefinitionContext.fromApiResource(spec.apiVersion(), found);
        kinds.put(kindKey(spec), context);
        return context;
    }

    private Tracked tracked(TargetRef target) {
        requireNonNull(target, "target is null");
        if (closed) {
            throw new IllegalStateException("orchestrator " + name + " is closed");
        }
        Tracked tracked = targets.get(target);
        if (tracked == null) {
            throw new ZeroscaleException(KubernetesErrorCode.UNKNOWN_TARGET, "orchestrator " + name
                    + " does not know target " + target + "; declare it with attach() (a target in config) first");
        }
        return tracked;
    }

    private static ZeroscaleException notFound(WorkloadSpec spec) {
        return new ZeroscaleException(KubernetesErrorCode.WORKLOAD_NOT_FOUND, spec.target() + ": " + spec.kind() + " "
                + spec.name() + " does not exist in namespace " + spec.namespace() + " (kubectl get "
                + spec.kind().toLowerCase(java.util.Locale.ROOT) + " -n " + spec.namespace() + " lists what does)");
    }

    /** Maps a client failure to a code that tells the engine whether retrying can help. */
    static ZeroscaleException failure(WorkloadSpec spec, String action, KubernetesClientException e) {
        int code = e.getCode();
        String what = spec.target() + ": could not " + action + " " + spec.kind() + " " + spec.key() + ": ";
        if (code == 404) {
            return new ZeroscaleException(KubernetesErrorCode.WORKLOAD_NOT_FOUND, what + "not found (404)", e);
        }
        if (code == 401 || code == 403) {
            return new ZeroscaleException(KubernetesErrorCode.API_REJECTED, what + "the API server refused it ("
                    + code + "): grant the daemon's account the verbs on this resource (see the module README's"
                    + " RBAC list); " + e.getMessage(), e);
        }
        if (code == 0 || code == 429 || code >= 500) {
            return new ZeroscaleException(KubernetesErrorCode.API_UNAVAILABLE, what + "the API server is unavailable"
                    + (code == 0 ? "" : " (" + code + ")") + ": " + e.getMessage(), e);
        }
        return new ZeroscaleException(KubernetesErrorCode.API_REJECTED, what + e.getMessage(), e);
    }

    /** Stops the informers and closes the client. Workloads keep running as they are. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        namespaces.values().forEach(NamespaceInformers::close);
        namespaces.clear();
        order.save();
        client.close();
    }

    /** One attached target. */
    private static final class Tracked {
        final WorkloadSpec spec;
        final SerialExecutor executor;
        final List<Listener> listeners = new CopyOnWriteArrayList<>();
        final AtomicBoolean pending = new AtomicBoolean();
        final AtomicBoolean warned = new AtomicBoolean();

        Tracked(WorkloadSpec spec, SerialExecutor executor) {
            this.spec = spec;
            this.executor = executor;
        }
    }

    /** One watcher of a target and the state it heard last (touched only on the target's executor). */
    private static final class Listener {
        final Consumer<WorkloadEvent> listener;
        volatile @Nullable ObservedState last;

        Listener(Consumer<WorkloadEvent> listener) {
            this.listener = listener;
        }
    }
}
