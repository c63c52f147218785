package io.zeroscale.plugin.k8s;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
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
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.zeroscale.spi.events.EngineEvent;
import io.zeroscale.plugin.support.SerialExecutor;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.orchestrator.ConditionalWake;
import io.zeroscale.spi.orchestrator.Drainable;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.Endpoints;
import io.zeroscale.spi.orchestrator.GatewayBypass;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.Resizable;
import io.zeroscale.spi.orchestrator.ResourceProfile;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 *
 * <p>{@link #remove} removes exactly the drained pods (see {@link PodRemoval}); {@link #watch}
 * announces pods the cluster is about to remove on its own (eviction, preemption, a rollout, a
 * delete) with {@link WorkloadEvent.Removing} before the {@link WorkloadEvent.Changed} without
 * them; {@link #resize} writes a profile into the pod template's container ({@link Resources}),
 * and the rollout that follows is announced as such.
 *
 * <p>{@link GatewayBypass}: a target with {@code data-path: bypass-when-warm} has a Service without a
 * selector whose EndpointSlice this orchestrator writes ({@link DataPath}): the ready pods after
 * {@link #sendDirect} (kept current as pods come and go), the gateway's ready endpoints after
 * {@link #sendThroughGateway} and before any scale to zero. Only the leader writes it.
 */
public final class KubernetesOrchestrator
        implements Orchestrator, Endpoints, ConditionalWake, Drainable, Resizable, GatewayBypass {
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
    private volatile @Nullable WorkloadEvents events;
    /** The orchestrator's {@code gateway:}, for targets that bypass it while warm; null when not set. */
    private volatile DataPath.@Nullable Gateway gateway;
    /** The gateway Service's EndpointSlices, watched once a target bypasses the gateway. */
    private volatile @Nullable SharedIndexInformer<EndpointSlice> gatewaySlices;

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
                    ns -> new NamespaceInformers(ns, client, order, changed -> onChange(ns, changed)));
            informers.watchKind(kindKey(spec), kind);
            refuseIfAutoscaled(spec, listAutoscalers(spec));
            GenericKubernetesResource found = resource(spec).get();
            if (found == null) {
                log.warn("{}: {} {} does not exist in namespace {} yet; it is reported once it does",
                        spec.target(), spec.kind(), spec.name(), spec.namespace());
            } else {
                List<Service> services = listServices(spec);
                ServiceChoice.choose(spec, States.templateLabels(found), services);
                if (spec.bypassWhenWarm()) {
                    services.stream().filter(s -> s.getMetadata().getName().equals(spec.service())).findFirst()
                            .ifPresent(s -> DataPath.check(spec, s));
                }
            }
            if (spec.bypassWhenWarm()) {
                watchGateway(spec);
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
            List<Pod> pods = listPods(spec, workload);
            List<Service> services = listServices(spec);
            ServiceChoice choice = ServiceChoice.choose(spec, States.templateLabels(workload), services);
            List<EndpointSlice> slices = choice == null ? List.of()
                    : spec.bypassWhenWarm() ? podSlices(choice, services, workload, pods)
                    : client.discovery().v1().endpointSlices().inNamespace(spec.namespace())
                            .withLabel("kubernetes.io/service-name", choice.service()).list().getItems();
            pods.forEach(order::see);
            order.save();
            return States.compute(client.getKubernetesSerialization(), workload, pods, slices,
                    choice == null ? null : choice.portName(), States.order(spec, order),
                    context.scheduler().clock().instant());
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
            if (replicas == 0 && spec.bypassWhenWarm() && tracked(target).path != DataPath.Path.GATEWAY) {
                // Never remove the pods while the Service still sends clients to them.
                sendThroughGateway(target);
            }
            if (replicas == 0) {
                // Kept where users and GitOps tools see it, e.g. to scale back by hand.
                String patch = client.getKubernetesSerialization().asJson(Map.of("metadata",
                        Map.of("annotations", Map.of(REPLICAS_BEFORE_ZERO, Integer.toString(now)))));
                resource.patch(PatchContext.of(PatchType.JSON_MERGE), patch);
                current = readScale(spec, resource); // the patch moved the resource version
                now = specReplicas(current);
            }
            // On the resource version read, so a count written meanwhile (a follower's conditional
            // wake to the same count) is read again rather than written twice; the last attempt is
            // unconditional: the engine's decision is the count to have, whatever keeps changing.
            for (int attempt = 1; now != replicas; attempt++) {
                if (attempt == CONFLICT_ATTEMPTS) {
                    current.getMetadata().setResourceVersion(null);
                }
                current.getSpec().setReplicas(replicas);
                // The pods a scale-down removes are the engine's choice: no Removing for them.
                tracked(target).ownScaleDown(replicas < now ? replicas : -1);
                try {
                    resource.scale(current);
                    log.debug("{}: scaled {} -> {}", target, now, replicas);
                    return;
                } catch (KubernetesClientException e) {
                    if (e.getCode() != 409 || attempt == CONFLICT_ATTEMPTS) {
                        throw e;
                    }
                }
                current = readScale(spec, resource);
                now = specReplicas(current);
            }
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

    private void onChange(String namespace, List<? extends HasMetadata> changed) {
        NamespaceInformers informers = namespaces.get(namespace);
        List<Tracked> concerned = new ArrayList<>();
        for (Tracked tracked : targets.values()) {
            if (tracked.spec.namespace().equals(namespace) && concerns(tracked, informers, changed)) {
                concerned.add(tracked);
            }
        }
        for (Tracked tracked : concerned) {
            followPath(tracked);
        }
        for (Tracked tracked : concerned) {
            if (!tracked.listeners.isEmpty() && tracked.pending.compareAndSet(false, true)) {
                tracked.executor.execute(() -> {
                    tracked.pending.set(false);
                    for (Listener entry : tracked.listeners) {
                        push(tracked, entry, false);
                    }
                });
            }
        }
    }

    /**
     * Whether a change of {@code changed} can change what {@code tracked} observes: its workload,
     * a pod its selector matches (before or after the change), a slice of the Service it uses; a
     * Service or an HPA may change any target's choice, and a listing (no object) anything.
     * Conservative where it cannot tell (nothing computed for the target yet).
     */
    private boolean concerns(Tracked tracked, @Nullable NamespaceInformers informers, List<? extends HasMetadata> changed) {
        if (changed.isEmpty() || informers == null) {
            return true;
        }
        for (HasMetadata object : changed) {
            if (concerns(tracked, informers, object)) {
                return true;
            }
        }
        return false;
    }

    private boolean concerns(Tracked tracked, NamespaceInformers informers, HasMetadata object) {
        WorkloadSpec spec = tracked.spec;
        if (object instanceof Pod pod) {
            GenericKubernetesResource workload = informers.workload(kindKey(spec), spec.name());
            return workload != null && Selectors.matches(tracked.selector(client.getKubernetesSerialization(), workload),
                    pod.getMetadata().getLabels());
        }
        if (object instanceof EndpointSlice slice) {
            String service = tracked.service;
            Map<String, String> labels = slice.getMetadata().getLabels();
            return service == null || labels == null || service.equals(labels.get("kubernetes.io/service-name"));
        }
        if (object instanceof GenericKubernetesResource workload) {
            return spec.name().equals(workload.getMetadata().getName());
        }
        return true;
    }

    @Override
    public boolean bypassesGateway(TargetRef target) {
        Tracked tracked = targets.get(target);
        return tracked != null && tracked.spec.bypassWhenWarm();
    }

    /**
     * Writes the target's EndpointSlice with its ready pods (the gateway's endpoints while none is
     * ready), and keeps it so as pods change, until {@link #sendThroughGateway}.
     */
    @Override
    public void sendDirect(TargetRef target) {
        switchPath(tracked(target), DataPath.Path.PODS);
    }

    /** Writes the target's EndpointSlice with the gateway's ready endpoints, and keeps it so. */
    @Override
    public void sendThroughGateway(TargetRef target) {
        switchPath(tracked(target), DataPath.Path.GATEWAY);
    }

    private void switchPath(Tracked tracked, DataPath.Path path) {
        if (!tracked.spec.bypassWhenWarm()) {
            return; // not opted in: the Service is the cluster's
        }
        tracked.pathLock.lock(); // not synchronized: a virtual thread would pin its carrier through the write
        try {
            tracked.path = path;
            writeSlice(tracked, true);
        } finally {
            tracked.pathLock.unlock();
        }
        log.debug("{}: clients sent to {}", tracked.spec.target(), path.label);
    }

    /** How many times {@code target}'s state was computed from the informers' caches; for tests. */
    long stateComputations(TargetRef target) {
        return tracked(target).computed.get();
    }

    /** Rewrites the slice of a bypassing target this daemon switched last, off the informer's thread. */
    private void followPath(Tracked tracked) {
        if (tracked.path == null || !tracked.pathPending.compareAndSet(false, true)) {
            return;
        }
        tracked.executor.execute(() -> {
            tracked.pathPending.set(false);
            tracked.pathLock.lock();
            try {
                if (tracked.path == null || closed) {
                    return;
                }
                writeSlice(tracked, false);
            } catch (ZeroscaleException e) {
                log.warn("{}: could not update the EndpointSlice of Service {}: {}", tracked.spec.target(),
                        tracked.spec.service(), e.getMessage());
            } finally {
                tracked.pathLock.unlock();
            }
        });
    }

    /**
     * Writes the slice {@code tracked.path} asks for, unless it already lists that. {@code strict}
     * (an engine's call): a missing Service or gateway fails; else (a pod or gateway change) nothing
     * is written then.
     */
    private void writeSlice(Tracked tracked, boolean strict) {
        WorkloadSpec spec = tracked.spec;
        DataPath.Path path = requireNonNull(tracked.path, "path");
        String serviceName = requireNonNull(spec.service(), "service");
        try {
            NamespaceInformers informers = namespaces.get(spec.namespace());
            NamespaceInformers cache = informers != null && informers.synced() ? informers : null;
            Service service = (cache != null ? cache.services() : listServices(spec)).stream()
                    .filter(s -> serviceName.equals(s.getMetadata().getName())).findFirst().orElse(null);
            if (service == null) {
                throw new ZeroscaleException(KubernetesErrorCode.WORKLOAD_NOT_FOUND, spec.target() + ": Service "
                        + spec.namespace() + "/" + serviceName + " does not exist; create it without a selector (data-path: "
                        + WorkloadSpec.BYPASS_WHEN_WARM + ")");
            }
            DataPath.check(spec, service);
            ServiceChoice choice = ServiceChoice.choose(spec, Map.of(), List.of(service));
            ServicePort port = choice == null ? null : DataPath.servicePort(service, choice.portName());
            if (choice == null || port == null) {
                throw new ZeroscaleException(io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID, "targets ("
                        + spec.target() + ").workload.port: Service " + serviceName + " has no port to send clients to");
            }
            DataPath.Contents contents = null;
            if (path == DataPath.Path.PODS) {
                GenericKubernetesResource workload = cache != null ? cache.workload(kindKey(spec), spec.name())
                        : resource(spec).get();
                if (workload != null) {
                    Collection<Pod> all = cache != null ? cache.pods() : listPods(spec, workload);
                    List<Pod> pods = new ArrayList<>(States.podsOf(client.getKubernetesSerialization(), workload, all));
                    pods.sort(States.order(spec, order));
                    contents = DataPath.pods(pods, port);
                }
            }
            if (contents == null) {
                contents = DataPath.gateway(gatewayEndpointSlices(spec), requireNonNull(gateway, "gateway").port());
            }
            if (contents == null) {
                DataPath.Gateway gw = requireNonNull(gateway, "gateway");
                ZeroscaleException none = new ZeroscaleException(KubernetesErrorCode.NO_GATEWAY, spec.target()
                        + ": the gateway Service " + gw.namespace() + "/" + gw.service() + " lists no ready endpoint"
                        + (gw.port() == null ? "" : " at port " + gw.port()) + ", so the clients of Service "
                        + serviceName + " cannot be sent to it; check the daemon's pods and orchestrators.gateway");
                if (strict) {
                    throw none;
                }
                log.warn("{}", none.getMessage());
                return;
            }
            EndpointSlice wanted = DataPath.slice(service, choice.portName(), contents);
            EndpointSlice current = cache != null
                    ? cache.slicesOf(serviceName).stream()
                            .filter(s -> wanted.getMetadata().getName().equals(s.getMetadata().getName())).findFirst()
                            .orElse(null)
                    : client.discovery().v1().endpointSlices().inNamespace(spec.namespace())
                            .withName(wanted.getMetadata().getName()).get();
            if (DataPath.same(current, wanted)) {
                return;
            }
            client.resource(wanted).fieldManager(DataPath.MANAGED_BY).forceConflicts().serverSideApply();
            log.debug("{}: EndpointSlice {} lists the {} {}", spec.target(), wanted.getMetadata().getName(),
                    contents.path().label, DataPath.addresses(wanted));
        } catch (KubernetesClientException e) {
            throw failure(spec, "write the EndpointSlice of Service " + serviceName + " for", e);
        }
    }

    /** The gateway Service's EndpointSlices: from its informer once it listed, else read now. */
    private List<EndpointSlice> gatewayEndpointSlices(WorkloadSpec spec) {
        DataPath.Gateway gw = requireNonNull(gateway, "gateway");
        SharedIndexInformer<EndpointSlice> informer = gatewaySlices;
        if (informer != null && informer.hasSynced()) {
            return informer.getStore().list();
        }
        try {
            return client.discovery().v1().endpointSlices().inNamespace(gw.namespace())
                    .withLabel(DataPath.SERVICE_NAME_LABEL, gw.service()).list().getItems();
        } catch (KubernetesClientException e) {
            throw failure(spec, "read the gateway Service's EndpointSlices for", e);
        }
    }

    /** Starts watching the gateway Service's EndpointSlices, once; refuses a bypass without {@code gateway:}. */
    private void watchGateway(WorkloadSpec spec) {
        DataPath.Gateway gw = gateway;
        if (gw == null) {
            throw new ZeroscaleException(io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID, "targets (" + spec.target()
                    + ").workload.data-path: " + WorkloadSpec.BYPASS_WHEN_WARM + " needs orchestrators." + name
                    + ".gateway: { service: <the Service in front of the daemons' gateway>, namespace: <its namespace> },"
                    + " whose endpoints the target's Service lists while it is not warm");
        }
        synchronized (this) {
            if (gatewaySlices != null) {
                return;
            }
            SharedIndexInformer<EndpointSlice> informer = client.discovery().v1().endpointSlices()
                    .inNamespace(gw.namespace()).withLabel(DataPath.SERVICE_NAME_LABEL, gw.service()).runnableInformer(0);
            informer.addEventHandler(new ResourceEventHandler<>() {
                @Override
                public void onAdd(EndpointSlice obj) {
                    targets.values().forEach(KubernetesOrchestrator.this::followPath);
                }

                @Override
                public void onUpdate(EndpointSlice old, EndpointSlice obj) {
                    targets.values().forEach(KubernetesOrchestrator.this::followPath);
                }

                @Override
                public void onDelete(EndpointSlice obj, boolean deletedFinalStateUnknown) {
                    targets.values().forEach(KubernetesOrchestrator.this::followPath);
                }
            });
            informer.start().whenComplete((ok, failure) -> {
                if (failure != null) {
                    log.warn("the gateway Service {}/{}'s EndpointSlices could not be listed yet; retrying", gw.namespace(),
                            gw.service(), failure);
                }
            });
            gatewaySlices = informer;
        }
    }

    /**
     * A bypassing target's endpoints: its ready pods at the Service port's target port, as the one
     * EndpointSlice the cluster would list for it (the Service's own slice lists the gateway at zero).
     */
    private List<EndpointSlice> podSlices(ServiceChoice choice, Collection<Service> services,
            GenericKubernetesResource workload, Collection<Pod> pods) {
        Service service = services.stream().filter(s -> choice.service().equals(s.getMetadata().getName())).findFirst()
                .orElse(null);
        ServicePort port = service == null ? null : DataPath.servicePort(service, choice.portName());
        if (service == null || port == null) {
            return List.of();
        }
        DataPath.Contents contents = DataPath.pods(States.podsOf(client.getKubernetesSerialization(), workload, pods), port);
        return contents == null ? List.of() : List.of(DataPath.slice(service, choice.portName(), contents));
    }

    /**
     * Sets how this orchestrator reaches the gateway ({@code gateway:}), and stops following a
     * bypassing target's slice once the engine says this daemon no longer leads. Called once by the
     * factory.
     */
    void bypassVia(DataPath.@Nullable Gateway gateway) {
        this.gateway = gateway;
        context.subscribe(event -> {
            if (event instanceof EngineEvent.Decided decided && !decided.leader()) {
                Tracked tracked = targets.get(decided.target());
                if (tracked != null) {
                    tracked.path = null; // the leader writes the slice now
                }
            }
        });
    }

    /** Runs on the target's serial executor: computes from the caches and tells {@code entry} if it changed. */
    private void push(Tracked tracked, Listener entry, boolean first) {
        if (closed) {
            return;
        }
        Snapshot snapshot = cachedState(tracked);
        if (snapshot == null) {
            return;
        }
        ObservedState state = snapshot.state;
        ObservedState last = entry.last;
        if (last != null) {
            // Before the Changed that no longer lists them: the engine drains what it still routes to.
            for (WorkloadEvent.Removing removing : removals(tracked, entry, snapshot, last)) {
                log.debug("{}: {}", tracked.spec.target(), removing);
                entry.listener.accept(removing);
            }
        }
        List<WorkloadEvent.ReplicaFailed> failures = entry.failures.newFailures(snapshot.pods, this::logTail);
        if (last != null) {
            failures.forEach(failed -> reportFailure(tracked, entry, failed)); // before the Changed that follows them
        }
        if (first || last == null || state.differsFrom(last)) {
            entry.last = state;
            entry.listener.accept(new WorkloadEvent.Changed(state));
        }
        if (last == null) {
            failures.forEach(failed -> reportFailure(tracked, entry, failed)); // the first event is the state
        }
    }

    private static void reportFailure(Tracked tracked, Listener entry, WorkloadEvent.ReplicaFailed failed) {
        log.warn("{}: replica {} failed: {}; last output: {}", tracked.spec.target(), failed.replica(), failed.reason(),
                failed.output());
        entry.listener.accept(failed);
    }

    /** The last lines a container wrote, from the API server (which asks the node); empty when it cannot. */
    private List<String> logTail(String namespace, String pod, String container, boolean previous, int lines) {
        try {
            String text = readLog(namespace, pod, container, previous, lines);
            return text == null ? List.of() : PodFailures.lines(text);
        } catch (KubernetesClientException e) {
            if (e.getCode() == 403) {
                // Not the cluster's limit but this daemon's role: say which rule is missing.
                log.warn("{}/{}: may not read the log of container {} (get on pods/log is not granted): {}", namespace, pod,
                        container, e.getMessage());
            } else {
                log.debug("{}/{}: no log of container {} ({})", namespace, pod, container, e.getMessage());
            }
            return List.of();
        }
    }

    /**
     * The last {@code lines} of a container's log ({@code previous}: of the instance that exited)
     * through the API server's {@code pods/log}.
     *
     * @throws KubernetesClientException when the API server answers with an error (403: not granted;
     *     where no kubelet serves the pod's node, an error from reaching it)
     */
    @Nullable String readLog(String namespace, String pod, String container, boolean previous, int lines) {
        var logs = client.pods().inNamespace(namespace).withName(pod).inContainer(container);
        return previous ? logs.terminated().tailingLines(lines).getLog() : logs.tailingLines(lines).getLog();
    }

    /**
     * The pods of the workload that the cluster is about to remove on its own and that {@code entry}
     * last heard of as ready, each announced once: evicted, preempted or tainted away (the {@code
     * DisruptionTarget} condition, set before the pod is deleted: they are still ready and the
     * engine drains them), or deleted by someone else or by a rollout. Pods this orchestrator
     * removed ({@link #remove}, or its own scale-down) are the engine's choice and not announced.
     */
    private List<WorkloadEvent.Removing> removals(Tracked tracked, Listener entry, Snapshot snapshot,
            ObservedState last) {
        List<WorkloadEvent.Removing> out = new ArrayList<>();
        Set<String> present = new HashSet<>();
        int desired = States.desired(snapshot.workload);
        int ownTo = tracked.ownScaleDownTo;
        if (ownTo >= 0 && desired == ownTo) {
            tracked.ownScaleDownSeen = true;
            if (snapshot.pods.size() <= desired) {
                ownTo = -1; // that scale-down is over
                tracked.ownScaleDown(ownTo);
            }
        } else if (ownTo >= 0 && tracked.ownScaleDownSeen) {
            ownTo = -1; // someone changed the count since: over too
            tracked.ownScaleDown(ownTo);
        }
        for (Pod pod : snapshot.pods) {
            String uid = pod.getMetadata().getUid();
            present.add(uid);
            if (entry.announced.contains(uid) || !PodRemoval.leaving(pod) || PodRemoval.chosenByUs(pod)) {
                continue;
            }
            var disruption = PodRemoval.disruption(pod);
            if (disruption == null && ownTo >= 0) {
                continue;
            }
            List<Endpoint> endpoints = PodRemoval.endpointsOf(pod, last.readyEndpoints());
            if (endpoints.isEmpty()) {
                continue; // it served nothing: nothing to drain
            }
            entry.announced.add(uid);
            tracked.announced.add(uid);
            out.add(new WorkloadEvent.Removing(endpoints, leavingReason(tracked, snapshot.workload, pod, disruption)));
        }
        entry.announced.retainAll(present);
        tracked.announced.retainAll(present);
        return out;
    }

    private static String leavingReason(Tracked tracked, GenericKubernetesResource workload, Pod pod,
            io.fabric8.kubernetes.api.model.@Nullable PodCondition disruption) {
        String name = "pod " + pod.getMetadata().getName();
        if (disruption != null) {
            return name + " is being disrupted by the cluster (" + disruption.getReason()
                    + (disruption.getMessage() == null ? "" : ": " + disruption.getMessage()) + ")";
        }
        if (States.rollingOut(workload)) {
            String profile = tracked.resizedTo;
            return name + " is replaced by a rollout of " + tracked.spec.kind() + " " + tracked.spec.name()
                    + (profile == null ? "" : " (the pod template changed, e.g. the resize to profile '" + profile + "')");
        }
        return name + " was deleted (kubectl delete, a node going away, or its controller)";
    }

    private @Nullable Snapshot cachedState(Tracked tracked) {
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
        tracked.service = choice == null ? null : choice.service();
        tracked.computed.incrementAndGet();
        Collection<Pod> pods = informers.pods();
        List<EndpointSlice> slices = choice == null ? List.of()
                : spec.bypassWhenWarm() ? podSlices(choice, informers.services(), workload, pods)
                : informers.slicesOf(choice.service());
        ObservedState state = States.compute(client.getKubernetesSerialization(), workload, pods, slices,
                choice == null ? null : choice.portName(), States.order(spec, order), context.scheduler().clock().instant());
        return new Snapshot(state, workload, States.podsOf(client.getKubernetesSerialization(), workload, pods));
    }

    /** What a push computed from the caches: the state, the workload and its pods (not finished). */
    private record Snapshot(ObservedState state, GenericKubernetesResource workload, List<Pod> pods) {}

    /**
     * Removes exactly the pods serving at {@code drained} and lowers the count by as many (see
     * {@link PodRemoval}). Pods already leaving (terminating, evicted) are ignored: the cluster
     * removes them itself and their controller replaces them, so the count stays.
     *
     * @throws ZeroscaleException {@code CANNOT_REMOVE} for a StatefulSet asked to remove pods other
     *     than its highest ordinals, or a kind other than Deployment, ReplicaSet and StatefulSet
     *     (the engine's following scale then lets the controller pick)
     */
    @Override
    public void remove(TargetRef target, List<Endpoint> drained) {
        Tracked tracked = tracked(target);
        WorkloadSpec spec = tracked.spec;
        if (drained.isEmpty()) {
            return;
        }
        Resource<GenericKubernetesResource> resource = resource(spec);
        try {
            for (int attempt = 1; attempt <= CONFLICT_ATTEMPTS; attempt++) {
                GenericKubernetesResource workload = resource.get();
                if (workload == null) {
                    throw notFound(spec);
                }
                List<Pod> pods = States.podsOf(client.getKubernetesSerialization(), workload, listPods(spec, workload));
                // An announced pod is the cluster's to remove, even if it changed its mind (a
                // disruption condition reset): the count must not drop for it.
                List<Pod> live = pods.stream().filter(p -> !PodRemoval.leaving(p)
                        && !tracked.announced.contains(p.getMetadata().getUid())).toList();
                List<Pod> chosen = PodRemoval.serving(live, drained);
                if (chosen.isEmpty()) {
                    return; // gone already, leaving already, or not this target's
                }
                boolean written = States.isStatefulSet(spec)
                        ? removeFromStatefulSet(tracked, resource, workload, live, chosen)
                        : removeByDeletionCost(spec, resource, workload, pods, live, chosen);
                if (written) {
                    return;
                }
            }
            throw new ZeroscaleException(KubernetesErrorCode.API_REJECTED, target + ": " + spec.kind() + " "
                    + spec.key() + " changed under every one of " + CONFLICT_ATTEMPTS + " attempts to remove "
                    + drained + " (409 Conflict); something else keeps writing it");
        } catch (KubernetesClientException e) {
            throw failure(spec, "remove pods of", e);
        }
    }

    /** Returns false on a conflict (the workload changed since it was read): read again. */
    private boolean removeByDeletionCost(WorkloadSpec spec, Resource<GenericKubernetesResource> resource,
            GenericKubernetesResource workload, List<Pod> pods, List<Pod> live, List<Pod> chosen) {
        if (!"apps/v1".equals(spec.apiVersion())
                || !("Deployment".equals(spec.kind()) || "ReplicaSet".equals(spec.kind()))) {
            throw new ZeroscaleException(KubernetesErrorCode.CANNOT_REMOVE, spec.target() + ": removing chosen pods"
                    + " is done for Deployments, ReplicaSets and StatefulSets; " + spec.kind() + " " + spec.key()
                    + " gets a plain scale-down, and its controller picks the pods");
        }
        Set<String> accounted = PodRemoval.accounted(workload.getMetadata().getAnnotations());
        Set<String> existing = new HashSet<>();
        pods.forEach(p -> existing.add(p.getMetadata().getUid()));
        accounted.retainAll(existing);
        List<Pod> newly = chosen.stream().filter(p -> !accounted.contains(p.getMetadata().getUid())).toList();
        if (newly.isEmpty()) {
            return true; // an earlier call lowered the count for them; the controller is at work
        }
        for (Pod pod : chosen) {
            if (!PodRemoval.chosenByUs(pod)) {
                String mark = client.getKubernetesSerialization().asJson(Map.of("metadata",
                        Map.of("annotations", Map.of(PodRemoval.DELETION_COST, PodRemoval.LOWEST_COST))));
                client.pods().inNamespace(spec.namespace()).withName(pod.getMetadata().getName())
                        .patch(PatchContext.of(PatchType.JSON_MERGE), mark);
            }
        }
        Set<String> leaving = new HashSet<>(accounted);
        chosen.forEach(p -> leaving.add(p.getMetadata().getUid()));
        long staying = live.stream().filter(p -> !leaving.contains(p.getMetadata().getUid())).count();
        int desired = States.desired(workload);
        int replicas = PodRemoval.replicasAfter(desired, live.size(), (int) staying, newly.size());
        Set<String> record = new java.util.TreeSet<>(accounted);
        newly.forEach(p -> record.add(p.getMetadata().getUid()));
        // One write for the count and the record of what it accounts for.
        if (!patchIfUnchanged(resource, workload, replicas, Map.of(PodRemoval.REMOVED, String.join(",", record)))) {
            return false;
        }
        log.debug("{}: removing {} ({} -> {} replicas)", spec.target(), names(newly), desired, replicas);
        return true;
    }

    /** Returns false on a conflict (the workload changed since it was read): read again. */
    private boolean removeFromStatefulSet(Tracked tracked, Resource<GenericKubernetesResource> resource,
            GenericKubernetesResource workload, List<Pod> live, List<Pod> chosen) {
        WorkloadSpec spec = tracked.spec;
        int desired = States.desired(workload);
        int start = States.ordinalStart(workload);
        List<Integer> ordinals = new ArrayList<>();
        for (Pod pod : chosen) {
            Integer ordinal = States.ordinal(spec, pod);
            if (ordinal == null) {
                throw new ZeroscaleException(KubernetesErrorCode.CANNOT_REMOVE, spec.target() + ": pod "
                        + pod.getMetadata().getName() + " of StatefulSet " + spec.key() + " has no ordinal (neither the "
                        + States.POD_INDEX + " label nor a name ending in -<number>)");
            }
            if (ordinal < start + desired) {
                ordinals.add(ordinal); // the ones beyond the count go already
            }
        }
        if (ordinals.isEmpty()) {
            return true;
        }
        String refusal = PodRemoval.statefulSetRefusal(spec.name(), start, desired, ordinals);
        if (refusal != null) {
            throw new ZeroscaleException(KubernetesErrorCode.CANNOT_REMOVE, spec.target() + ": " + refusal);
        }
        int replicas = desired - ordinals.size();
        tracked.ownScaleDown(replicas);
        if (!patchIfUnchanged(resource, workload, replicas, Map.of())) {
            return false;
        }
        log.debug("{}: removing {} ({} -> {} replicas, live {})", spec.target(), names(chosen), desired, replicas,
                live.size());
        return true;
    }

    /**
     * Sets {@code spec.replicas} (and {@code annotations}) in one merge patch whose resource version
     * is the one {@code read} had, so it applies only if nothing changed the workload since. Returns
     * false on that conflict (409).
     */
    private boolean patchIfUnchanged(Resource<GenericKubernetesResource> resource, GenericKubernetesResource read,
            int replicas, Map<String, String> annotations) {
        Map<String, Object> metadata = new HashMap<>();
        metadata.put("resourceVersion", read.getMetadata().getResourceVersion());
        if (!annotations.isEmpty()) {
            metadata.put("annotations", annotations);
        }
        String patch = client.getKubernetesSerialization().asJson(Map.of("metadata", metadata,
                "spec", Map.of("replicas", replicas)));
        try {
            resource.patch(PatchContext.of(PatchType.JSON_MERGE), patch);
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                return false;
            }
            throw e;
        }
    }

    private static List<String> names(List<Pod> pods) {
        return pods.stream().map(p -> p.getMetadata().getName()).toList();
    }

    /**
     * Writes {@code profile} into the resources of the pod template's container (the workload's
     * {@code container}, else its only one) with a JSON Patch that first tests the container's name
     * at its index. Writes nothing when the container asks for the same amounts already. The
     * workload's controller then replaces its pods (a rollout), which {@link #watch} announces.
     */
    @Override
    public void resize(TargetRef target, ResourceProfile profile) {
        Tracked tracked = tracked(target);
        WorkloadSpec spec = tracked.spec;
        if (profile.cpus() != null && profile.cpus() < Resources.LEAST_CPUS) {
            // Raising it to 1m would give the replica more than the profile says, silently.
            throw new ZeroscaleException(io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID, target + ": profile '"
                    + profile.name() + "' cpus: " + profile.cpus() + " is less than Kubernetes can request (CPU is"
                    + " counted in millicores, the least is 1m); give at least cpus: 0.001");
        }
        Resource<GenericKubernetesResource> resource = resource(spec);
        try {
            GenericKubernetesResource workload = resource.get();
            if (workload == null) {
                throw notFound(spec);
            }
            List<Map<?, ?>> containers = States.templateContainers(workload);
            int index = containerIndex(spec, containers);
            Map<?, ?> container = containers.get(index);
            String containerName = String.valueOf(container.get("name"));
            Map<?, ?> current = container.get("resources") instanceof Map<?, ?> r ? r : null;
            Map<String, Object> wanted = Resources.apply(current, profile, spec.gpuResource());
            tracked.resizedTo = profile.name();
            if (Resources.same(current, wanted)) {
                return;
            }
            String path = "/spec/template/spec/containers/" + index;
            String patch = client.getKubernetesSerialization().asJson(List.of(
                    Map.of("op", "test", "path", path + "/name", "value", containerName),
                    Map.of("op", "add", "path", path + "/resources", "value", wanted)));
            resource.patch(PatchContext.of(PatchType.JSON), patch);
            log.info("{}: resized container {} of {} {} to profile '{}' ({}); its pods are replaced by a rollout",
                    target, containerName, spec.kind(), spec.key(), profile.name(), wanted);
        } catch (KubernetesClientException e) {
            throw failure(spec, "resize", e);
        }
    }

    private static int containerIndex(WorkloadSpec spec, List<Map<?, ?>> containers) {
        List<String> names = containers.stream().map(c -> String.valueOf(c.get("name"))).toList();
        String wanted = spec.container();
        if (wanted == null) {
            if (names.size() == 1) {
                return 0;
            }
            throw new ZeroscaleException(io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID, "targets ("
                    + spec.target() + ").workload.container: required to resize " + spec.kind() + " " + spec.key()
                    + ", whose pod template has " + (names.isEmpty() ? "no containers" : "the containers " + names)
                    + "; name the one the profile is for, e.g. container: " + (names.isEmpty() ? "app" : names.get(0)));
        }
        int index = names.indexOf(wanted);
        if (index < 0) {
            throw new ZeroscaleException(io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID, "targets ("
                    + spec.target() + ").workload.container: " + spec.kind() + " " + spec.key() + " has no container '"
                    + wanted + "' in its pod template; it has " + names);
        }
        return index;
    }

    private List<Pod> listPods(WorkloadSpec spec, GenericKubernetesResource workload) {
        LabelSelector selector = States.selector(client.getKubernetesSerialization(), workload);
        return selector == null || Selectors.isEmpty(selector) ? List.of()
                : client.pods().inNamespace(spec.namespace()).withLabelSelector(selector).list().getItems();
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
        // No HTTP status (fabric8 gives -1, sometimes 0): the server was not reached at all (refused
        // connection, timeout), which is unavailable, never a refusal.
        if (code <= 0 || code == 429 || code >= 500) {
            return new ZeroscaleException(KubernetesErrorCode.API_UNAVAILABLE, what + "the API server is unavailable"
                    + (code <= 0 ? "" : " (" + code + ")") + ": " + e.getMessage(), e);
        }
        return new ZeroscaleException(KubernetesErrorCode.API_REJECTED, what + e.getMessage(), e);
    }

    /**
     * Starts writing the engine's state changes of this orchestrator's targets as Kubernetes Events
     * on their workloads (see {@link WorkloadEvents}). Called once by the factory.
     */
    void writeEvents() {
        events = new WorkloadEvents(name, client, context, this::reference);
    }

    /** The last write of an Event that failed ("403 ..."), null while none did or Events are not written. */
    @Nullable String lastEventFailure() {
        WorkloadEvents writing = events;
        return writing == null ? null : writing.lastFailure();
    }

    /** The workload of {@code target} as the object an Event regards, or null when it is not attached here. */
    @Nullable ObjectReference reference(TargetRef target) {
        Tracked tracked = targets.get(target);
        if (tracked == null || closed) {
            return null;
        }
        WorkloadSpec spec = tracked.spec;
        NamespaceInformers informers = namespaces.get(spec.namespace());
        GenericKubernetesResource workload = informers == null ? null : informers.workload(kindKey(spec), spec.name());
        return new ObjectReferenceBuilder().withApiVersion(spec.apiVersion()).withKind(spec.kind())
                .withNamespace(spec.namespace()).withName(spec.name())
                .withUid(workload == null ? null : workload.getMetadata().getUid()).build();
    }

    /** Stops the informers and closes the client. Workloads keep running as they are. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        WorkloadEvents writing = events;
        if (writing != null) {
            writing.close();
        }
        namespaces.values().forEach(NamespaceInformers::close);
        namespaces.clear();
        SharedIndexInformer<EndpointSlice> gatewayInformer = gatewaySlices;
        if (gatewayInformer != null) {
            gatewayInformer.close();
        }
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
        /** The count of this orchestrator's own scale-down in progress (its pods are not announced), or -1. */
        volatile int ownScaleDownTo = -1;
        /** The caches showed {@link #ownScaleDownTo} as the desired count once (before, they may lag the write). */
        volatile boolean ownScaleDownSeen;
        /** UIDs of pods announced as Removing to any listener: {@link #remove} never lowers the count for them. */
        final Set<String> announced = ConcurrentHashMap.newKeySet();
        /** The last profile {@link #resize} applied, for the reason of the rollout's Removing events. */
        volatile @Nullable String resizedTo;
        /** Where this daemon last sent a bypassing target's clients (null: it did not, or leads no more). */
        volatile DataPath.@Nullable Path path;
        /** Held while a bypassing target's slice is computed and written, so the last switch wins. */
        final java.util.concurrent.locks.ReentrantLock pathLock = new java.util.concurrent.locks.ReentrantLock();
        final AtomicBoolean pathPending = new AtomicBoolean();

        /** States computed for this target from the caches (for tests: which changes recompute whom). */
        final java.util.concurrent.atomic.AtomicLong computed = new java.util.concurrent.atomic.AtomicLong();
        /** The Service the last state computed for this target used (null: none, or none computed yet). */
        volatile @Nullable String service;
        /** The workload version {@link #selector} last read its selector from, and that selector. */
        private volatile @Nullable SelectorOf selectorOf;

        /**
         * The pod selector of {@code workload}, read again only when the workload's resource version
         * is another than the last one read.
         */
        @Nullable LabelSelector selector(io.fabric8.kubernetes.client.utils.KubernetesSerialization json,
                GenericKubernetesResource workload) {
            String version = workload.getMetadata().getResourceVersion();
            SelectorOf last = selectorOf;
            if (last != null && version != null && version.equals(last.version)) {
                return last.selector;
            }
            LabelSelector selector = States.selector(json, workload);
            selectorOf = version == null ? null : new SelectorOf(version, selector);
            return selector;
        }

        void ownScaleDown(int to) {
            ownScaleDownSeen = false;
            ownScaleDownTo = to;
        }

        Tracked(WorkloadSpec spec, SerialExecutor executor) {
            this.spec = spec;
            this.executor = executor;
        }
    }

    private record SelectorOf(String version, @Nullable LabelSelector selector) {}

    /** One watcher of a target and the state it heard last (touched only on the target's executor). */
    private static final class Listener {
        final Consumer<WorkloadEvent> listener;
        volatile @Nullable ObservedState last;
        /** UIDs of pods already announced as Removing (touched only on the target's executor). */
        final Set<String> announced = new HashSet<>();
        /** Start failures already reported (touched only on the target's executor). */
        final PodFailures failures = new PodFailures();

        Listener(Consumer<WorkloadEvent> listener) {
            this.listener = listener;
        }
    }
}
