package io.zeroscale.plugin.k8s;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.events.EngineEvent;
import io.zeroscale.spi.targets.TargetChange;
import io.zeroscale.spi.targets.TargetDefinition;
import io.zeroscale.spi.targets.TargetListener;
import io.zeroscale.spi.targets.TargetSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Operator mode: every {@code ScaledTarget} custom resource ({@code zeroscale.io/v1alpha1},
 * namespaced) is one target, its {@code spec} the same node as a {@code targets.<name>} entry of
 * the config file. Watched with a fabric8 informer (never polled): a resource created adds its
 * target, a new {@code spec} (a new {@code metadata.generation}) updates it, a deleted one removes
 * it (its workload stays as it is). The target is named {@code <namespace>.<name>} (a namespace
 * name has no dot, so the name is unique); its workload lives in the resource's namespace and is
 * named like the resource unless {@code spec.workload.name} says otherwise.
 *
 * <p>Status: the {@code Ready} condition says whether the current generation is applied, and when
 * the engine refused it, why, with the daemon's own messages ({@code spec.policy.idle: ...}); the
 * engine's journal fills {@code state}, {@code replicas} and {@code lastDecision}. Status writes
 * go through the {@code /status} subresource as merge patches, never touching {@code spec}, and
 * do not change the generation, so they cause no reapplication.
 *
 * <p>Threads: informer events are applied one at a time on this source's own thread (the
 * listener's calls may block on the backend); status writes run on another, coalesced per
 * resource.
 */
final class ScaledTargets implements TargetSource {
    private static final Logger log = LoggerFactory.getLogger(ScaledTargets.class);
    static final String GROUP = "zeroscale.io";
    static final String VERSION = "v1alpha1";
    static final String KIND = "ScaledTarget";
    static final String PLURAL = "scaledtargets";
    static final ResourceDefinitionContext CONTEXT = new ResourceDefinitionContext.Builder().withGroup(GROUP)
            .withVersion(VERSION).withKind(KIND).withPlural(PLURAL).withNamespaced(true).build();

    private final String name;
    private final KubernetesClient client;
    private final @Nullable String namespace;
    private final @Nullable String orchestrator;
    private final PluginContext context;
    private final ExecutorService applier;
    private final ExecutorService writer;
    /** What is applied per resource ({@code namespace/name}); touched on the applier thread only. */
    private final Map<String, Applied> applied = new LinkedHashMap<>();
    /** Which resource each live target's workload belongs to, for the engine's events. */
    private final Map<TargetRef, String> resources = new ConcurrentHashMap<>();
    /** Status fields waiting to be written, per resource. */
    private final Map<String, Map<String, Object>> pending = new LinkedHashMap<>();
    private @Nullable SharedIndexInformer<GenericKubernetesResource> informer;
    private @Nullable Subscription events;
    private volatile boolean closed;
    /** Completes once the informer listed (or fails with why it cannot); for tests and logs. */
    private final java.util.concurrent.CompletableFuture<Void> started = new java.util.concurrent.CompletableFuture<>();
    /** The last status write the API server refused, with its message; null while none was. */
    private volatile @Nullable String lastStatusFailure;
    /** The last failure of the list or watch, while it is retried; null while none was. */
    private volatile @Nullable String lastWatchFailure;

    /**
     * The last generation handled for one resource.
     *
     * @param target the target's name
     * @param generation the resource's {@code metadata.generation} last handled (applied or refused)
     * @param ref the live target's workload, null while none is live (the resource was refused)
     * @param liveGeneration the generation the live target runs with (0 while none is live)
     */
    private record Applied(String target, long generation, @Nullable TargetRef ref, long liveGeneration) {}

    ScaledTargets(String name, KubernetesClient client, @Nullable String namespace, @Nullable String orchestrator,
            PluginContext context) {
        this.name = requireNonNull(name, "name is null");
        this.client = requireNonNull(client, "client is null");
        this.namespace = namespace;
        this.orchestrator = orchestrator;
        this.context = requireNonNull(context, "context is null");
        this.applier = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("zeroscale-scaledtargets-" + name).daemon().factory());
        this.writer = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("zeroscale-scaledtargets-status-" + name).daemon()
                .factory());
    }

    /** The target a resource defines. */
    static String targetName(String namespace, String name) {
        return namespace + "." + name;
    }

    @Override
    public synchronized Subscription subscribe(TargetListener listener) {
        requireNonNull(listener, "listener is null");
        if (informer != null) {
            throw new IllegalStateException("already subscribed");
        }
        events = context.subscribe(this::onEngineEvent);
        var resources = client.genericKubernetesResources(CONTEXT);
        SharedIndexInformer<GenericKubernetesResource> built = namespace == null
                ? resources.inAnyNamespace().runnableInformer(0)
                : resources.inNamespace(namespace).runnableInformer(0);
        built.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(GenericKubernetesResource resource) {
                submit(() -> changed(listener, resource));
            }

            @Override
            public void onUpdate(GenericKubernetesResource before, GenericKubernetesResource after) {
                submit(() -> changed(listener, after));
            }

            @Override
            public void onDelete(GenericKubernetesResource resource, boolean finalStateUnknown) {
                submit(() -> deleted(listener, resource));
            }
        });
        // Keep trying (fabric8 backs off): right after the CRD is installed its storage answers 429
        // for a moment, and a missing CRD or permission can be fixed while the daemon runs.
        built.exceptionHandler((isStarted, failure) -> {
            String message = failure.toString();
            if (!message.equals(lastWatchFailure)) {
                log.warn("target source {}: cannot watch {} resources, trying again ({}); is the CustomResourceDefinition"
                        + " installed (kubectl apply -f deploy/kubernetes/scaledtargets.zeroscale.io.yaml) and may this daemon"
                        + " list and watch them?", name, KIND, message);
            }
            lastWatchFailure = message;
            return !closed;
        });
        informer = built;
        built.start().whenComplete((ignored, failure) -> {
            if (failure == null) {
                started.complete(null);
            } else {
                started.completeExceptionally(failure);
                log.warn("target source {}: cannot watch {} resources ({}); is the CustomResourceDefinition installed"
                        + " (kubectl apply -f deploy/kubernetes/scaledtargets.zeroscale.io.yaml) and may this daemon list them?",
                        name, KIND, failure.toString());
            }
        });
        log.info("target source {}: watching {} resources in {}", name, KIND, namespace == null ? "every namespace" : namespace);
        return this::close;
    }

    private void submit(Runnable task) {
        if (closed) {
            return;
        }
        applier.execute(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                log.error("target source {}: handling a {} change failed", name, KIND, e);
            }
        });
    }

    private static String key(GenericKubernetesResource resource) {
        return resource.getMetadata().getNamespace() + "/" + resource.getMetadata().getName();
    }

    private void changed(TargetListener listener, GenericKubernetesResource resource) {
        String key = key(resource);
        long generation = Objects.requireNonNullElse(resource.getMetadata().getGeneration(), 0L);
        Applied previous = applied.get(key);
        if (previous != null && previous.generation() == generation) {
            return; // a status write, or a resync: the spec is the one already handled
        }
        String ns = resource.getMetadata().getNamespace();
        String target = targetName(ns, resource.getMetadata().getName());
        TargetRef liveRef = previous == null ? null : previous.ref();
        long liveGeneration = previous == null ? 0 : previous.liveGeneration();
        boolean live = liveRef != null;
        Config spec = spec(resource);
        TargetDefinition definition = new TargetDefinition(target, spec);
        TargetChange change = live
                ? new TargetChange(List.of(), List.of(definition), List.of(), KIND + " " + key + " changed (generation " + generation + ")")
                : new TargetChange(List.of(definition), List.of(), List.of(), KIND + " " + key + " created");
        try {
            ZeroscaleException own = ownProblem(resource, spec);
            if (own != null) {
                throw own;
            }
            listener.onChange(change);
            TargetRef ref = ref(spec);
            if (liveRef != null) {
                resources.remove(liveRef);
            }
            resources.put(ref, key);
            applied.put(key, new Applied(target, generation, ref, generation));
            status(key, Map.of("target", target, "observedGeneration", generation,
                    "conditions", List.of(condition("True", "Applied", "target " + target + " is live with generation " + generation))));
            log.info("target source {}: {} {} applied as target {}", name, KIND, key, target);
        } catch (ZeroscaleException e) {
            String message = String.join("\n", e.problems().isEmpty() ? List.of(e.getMessage()) : e.problems());
            applied.put(key, new Applied(target, generation, liveRef, liveGeneration));
            String kept = live ? " (generation " + liveGeneration + " stays in force)" : "";
            status(key, Map.of("target", target, "observedGeneration", generation,
                    "conditions", List.of(condition("False", reason(e), message + kept))));
            log.warn("target source {}: {} {} refused{}: {}", name, KIND, key, kept, message);
        }
    }

    private void deleted(TargetListener listener, GenericKubernetesResource resource) {
        String key = key(resource);
        Applied previous = applied.remove(key);
        synchronized (pending) {
            pending.remove(key);
        }
        if (previous == null || previous.ref() == null) {
            return;
        }
        resources.remove(previous.ref());
        try {
            listener.onChange(new TargetChange(List.of(), List.of(), List.of(previous.target()), KIND + " " + key + " deleted"));
            log.info("target source {}: {} {} deleted; target {} removed, its workload left as it is", name, KIND, key, previous.target());
        } catch (ZeroscaleException e) {
            log.warn("target source {}: removing target {} of deleted {} {} failed: {}", name, previous.target(), KIND, key, e.getMessage());
        }
    }

    private static String reason(ZeroscaleException e) {
        return switch (e.errorCode().name()) {
            case "CONFIG_INVALID" -> "Invalid";
            case "NOT_FOUND" -> "NotFound";
            default -> "Refused";
        };
    }

    /**
     * The resource's {@code spec} as a {@code targets.<name>} node at path {@code spec}: the
     * source's orchestrator unless it names one, the workload in the resource's namespace and
     * named like the resource unless it names one.
     */
    @SuppressWarnings("unchecked")
    private Config spec(GenericKubernetesResource resource) {
        Object raw = resource.getAdditionalProperties().get("spec");
        Map<String, Object> spec = raw instanceof Map<?, ?> map ? new LinkedHashMap<>((Map<String, Object>) map) : new LinkedHashMap<>();
        if (orchestrator != null) {
            spec.putIfAbsent("orchestrator", orchestrator);
        }
        if (spec.get("workload") instanceof Map<?, ?> map) {
            Map<String, Object> workload = new LinkedHashMap<>((Map<String, Object>) map);
            workload.putIfAbsent("namespace", resource.getMetadata().getNamespace());
            workload.putIfAbsent("name", resource.getMetadata().getName());
            spec.put("workload", workload);
        }
        return Config.of("spec", spec);
    }

    /** A workload in another namespace is refused: a resource acts in its own namespace only. */
    private static @Nullable ZeroscaleException ownProblem(GenericKubernetesResource resource, Config spec) {
        String ns = resource.getMetadata().getNamespace();
        Config workload = spec.child("workload");
        String other = workload.string("namespace").orElse(ns);
        if (!other.equals(ns)) {
            return workload.invalid("namespace", "is '" + other + "', but a " + KIND + " scales workloads of its own namespace '"
                    + ns + "' only; leave the key out, or create the " + KIND + " in '" + other + "'");
        }
        return null;
    }

    private static TargetRef ref(Config spec) {
        Config workload = spec.child("workload");
        return new TargetRef(spec.requireString("orchestrator"), workload.requireString("kind"), workload.requireString("namespace"),
                workload.requireString("name"));
    }

    private Map<String, Object> condition(String status, String reason, String message) {
        Map<String, Object> condition = new LinkedHashMap<>();
        condition.put("type", "Ready");
        condition.put("status", status);
        condition.put("reason", reason);
        condition.put("message", message);
        condition.put("lastTransitionTime", context.scheduler().clock().instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
        return condition;
    }

    private void onEngineEvent(EngineEvent event) {
        String key = resources.get(event.target());
        if (key == null || !(event instanceof EngineEvent.Journalled entry)) {
            return;
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("state", entry.state());
        fields.put("replicas", entry.replicas());
        if (entry.kind().equals("DECISION")) {
            fields.put("lastDecision", entry.message());
            fields.put("lastDecisionTime", entry.at().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
        }
        status(key, fields);
    }

    /** Queues {@code fields} for the resource's status; writes coalesce what is queued meanwhile. */
    private void status(String key, Map<String, Object> fields) {
        boolean schedule;
        synchronized (pending) {
            Map<String, Object> queued = pending.get(key);
            schedule = queued == null;
            if (queued == null) {
                queued = new LinkedHashMap<>();
                pending.put(key, queued);
            }
            queued.putAll(fields);
        }
        if (schedule && !closed) {
            writer.execute(() -> write(key));
        }
    }

    private void write(String key) {
        Map<String, Object> fields;
        synchronized (pending) {
            fields = pending.remove(key);
        }
        if (fields == null || closed) {
            return;
        }
        int slash = key.indexOf('/');
        String json = client.getKubernetesSerialization().asJson(Map.of("status", fields));
        try {
            client.genericKubernetesResources(CONTEXT).inNamespace(key.substring(0, slash)).withName(key.substring(slash + 1))
                    .status().patch(PatchContext.of(PatchType.JSON_MERGE), json);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                lastStatusFailure = e.getCode() + " " + e.getMessage();
                log.warn("target source {}: cannot write the status of {} {}: {}", name, KIND, key, e.getMessage());
            }
        }
    }

    /** Completes once the resources are listed and watched; fails with the reason they cannot be. */
    java.util.concurrent.CompletableFuture<Void> started() {
        return started;
    }

    /** The last failure to list or watch the resources (retried), or null. */
    @Nullable String lastWatchFailure() {
        return lastWatchFailure;
    }

    /** The last refused status write (HTTP code and message), or null. */
    @Nullable String lastStatusFailure() {
        return lastStatusFailure;
    }

    @Override
    public void close() {
        closed = true;
        SharedIndexInformer<GenericKubernetesResource> running;
        Subscription subscription;
        synchronized (this) {
            running = informer;
            subscription = events;
            informer = null;
            events = null;
        }
        if (running != null) {
            running.close();
        }
        if (subscription != null) {
            subscription.close();
        }
        applier.shutdownNow();
        writer.shutdownNow();
        client.close();
    }
}
