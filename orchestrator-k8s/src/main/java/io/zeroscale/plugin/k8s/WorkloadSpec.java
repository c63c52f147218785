package io.zeroscale.plugin.k8s;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.TargetRef;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One target's workload as this orchestrator reads it: which resource (group, version, kind), in
 * which namespace, and which Service and port give its endpoints.
 *
 * @param target the engine's reference
 * @param namespace the namespace (the target's, else the orchestrator's default)
 * @param apiVersion {@code group/version} of the resource, e.g. {@code apps/v1}
 * @param service the Service whose EndpointSlices list the endpoints, or null to find the one
 *     Service whose selector matches the pod template
 * @param port the Service port (its name, or its number) to use, or null when the Service has one
 * @param container the pod template's container a resize changes, or null for its only one
 * @param gpuResource the extended resource a profile's GPUs are requested as
 * @param bypassWhenWarm {@code data-path: bypass-when-warm}: the Service's endpoints are the ready
 *     pods while the target is warm and the gateway's otherwise (see {@link DataPath})
 */
record WorkloadSpec(TargetRef target, String namespace, String apiVersion, @Nullable String service,
        @Nullable String port, @Nullable String container, String gpuResource, boolean bypassWhenWarm) {
    static final Set<String> KEYS = Set.of("api-version", "service", "port", "container", "gpu-resource", "data-path");
    /** The values of {@code data-path}. */
    static final String THROUGH_GATEWAY = "through-gateway";
    static final String BYPASS_WHEN_WARM = "bypass-when-warm";
    static final String DEFAULT_GPU_RESOURCE = "nvidia.com/gpu";
    /** Kinds whose group and version need no {@code api-version}. */
    static final Map<String, String> BUILT_IN = Map.of("Deployment", "apps/v1", "StatefulSet", "apps/v1",
            "ReplicaSet", "apps/v1");

    WorkloadSpec {
        requireNonNull(target, "target is null");
        requireNonNull(namespace, "namespace is null");
        requireNonNull(apiVersion, "apiVersion is null");
        requireNonNull(gpuResource, "gpuResource is null");
    }

    /** A workload with the default container choice and GPU resource. */
    WorkloadSpec(TargetRef target, String namespace, String apiVersion, @Nullable String service, @Nullable String port) {
        this(target, namespace, apiVersion, service, port, null, DEFAULT_GPU_RESOURCE, false);
    }

    String kind() {
        return target.kind();
    }

    String name() {
        return target.name();
    }

    /** {@code namespace/name}, the informers' key of the workload. */
    String key() {
        return namespace + "/" + name();
    }

    /**
     * The resource's REST coordinates for the built-in kinds, which need no discovery call; null for
     * any other kind (fabric8 discovers its plural from the API server).
     */
    @Nullable ResourceDefinitionContext builtInContext() {
        if (!BUILT_IN.containsKey(kind()) || !BUILT_IN.get(kind()).equals(apiVersion)) {
            return null;
        }
        return new ResourceDefinitionContext.Builder()
                .withGroup("apps")
                .withVersion("v1")
                .withKind(kind())
                .withPlural(kind().toLowerCase(Locale.ROOT) + "s")
                .withNamespaced(true)
                .build();
    }

    /**
     * Reads a target's {@code workload:} settings strictly.
     *
     * @param defaultNamespace the namespace of a target that names none
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} naming the key and the fix
     */
    static WorkloadSpec parse(TargetRef target, Config w, String defaultNamespace) {
        w.requireOnlyKeys(KEYS);
        String kind = target.kind();
        if (!kind.matches("[A-Z][A-Za-z0-9]*")) {
            throw w.invalid("kind", "'" + kind + "' is not a Kubernetes kind; write e.g. kind: Deployment");
        }
        String apiVersion = w.string("api-version").map(String::trim).orElse(BUILT_IN.get(kind));
        if (apiVersion == null) {
            throw w.invalid("api-version", "required for kind '" + kind + "' (only " + String.join(", ",
                    BUILT_IN.keySet().stream().sorted().toList()) + " have a default); write the resource's"
                    + " group/version, e.g. api-version: argoproj.io/v1alpha1");
        }
        if (!apiVersion.matches("([a-z0-9.-]+/)?v[0-9][a-z0-9]*")) {
            throw w.invalid("api-version", "'" + apiVersion + "' is not group/version; write e.g. apps/v1");
        }
        String namespace = target.namespace() == null ? defaultNamespace : target.namespace();
        if (!KubernetesConfig.validName(namespace)) {
            throw w.invalid("namespace", "'" + namespace + "' is not a namespace name (lower-case letters, digits"
                    + " and '-', at most 63)");
        }
        String service = w.string("service").map(String::trim).orElse(null);
        if (service != null && !KubernetesConfig.validName(service)) {
            throw w.invalid("service", "'" + service + "' is not a Service name (lower-case letters, digits and"
                    + " '-', at most 63)");
        }
        String port = null;
        if (w.has("port")) {
            Object raw = w.asMap().get("port");
            port = String.valueOf(raw).trim();
            if (raw instanceof Number number) {
                if (number.intValue() < 1 || number.intValue() > 65535) {
                    throw w.invalid("port", "must be a Service port number 1..65535 or a port name, got " + raw);
                }
            } else if (port.isEmpty()) {
                throw w.invalid("port", "is empty; name the Service port (e.g. http) or give its number");
            }
        }
        String container = w.string("container").map(String::trim).orElse(null);
        if (container != null && !KubernetesConfig.validName(container)) {
            throw w.invalid("container", "'" + container + "' is not a container name (lower-case letters, digits"
                    + " and '-', at most 63)");
        }
        String gpuResource = w.string("gpu-resource").map(String::trim).orElse(DEFAULT_GPU_RESOURCE);
        if (!gpuResource.matches("[a-z0-9]([a-z0-9.-]*[a-z0-9])?/[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")) {
            throw w.invalid("gpu-resource", "'" + gpuResource + "' is not an extended resource name (domain/name);"
                    + " write e.g. nvidia.com/gpu or amd.com/gpu");
        }
        String dataPath = w.string("data-path").map(String::trim).orElse(THROUGH_GATEWAY);
        if (!dataPath.equals(THROUGH_GATEWAY) && !dataPath.equals(BYPASS_WHEN_WARM)) {
            throw w.invalid("data-path", "'" + dataPath + "' is not a data path; write data-path: " + BYPASS_WHEN_WARM
                    + " (while the target has ready pods its Service's endpoints are the pods, at zero the gateway's)"
                    + " or " + THROUGH_GATEWAY + " (the default: clients always reach the gateway)");
        }
        boolean bypass = dataPath.equals(BYPASS_WHEN_WARM);
        if (bypass && service == null) {
            throw w.invalid("service", "required with data-path: " + BYPASS_WHEN_WARM + ": name the Service the"
                    + " clients use, a Service without a selector whose EndpointSlice zeroscale writes (the pods while"
                    + " warm, the gateway at zero), e.g. service: " + target.name());
        }
        return new WorkloadSpec(target, namespace, apiVersion, service, port, container, gpuResource, bypass);
    }
}
