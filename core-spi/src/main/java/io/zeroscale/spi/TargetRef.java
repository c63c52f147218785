package io.zeroscale.spi;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * Names one scaled workload: which orchestrator instance drives it, what kind of object it is there,
 * and its name (with a namespace where the backend has them). Examples: {@code k8s / Deployment /
 * ml/embedder}, {@code aws / AutoScalingGroup / gpu-workers}, {@code docker / ContainerGroup /
 * embedder}, {@code local / Process / backend}.
 *
 * @param orchestrator the name of the orchestrator instance in config (not its type)
 * @param kind the backend's kind of object, as the orchestrator spells it
 * @param namespace the namespace, or null where the backend has none
 * @param name the object's name
 */
public record TargetRef(String orchestrator, String kind, @Nullable String namespace, String name) {
    public TargetRef {
        requireNonNull(orchestrator, "orchestrator is null");
        requireNonNull(kind, "kind is null");
        requireNonNull(name, "name is null");
        if (orchestrator.isBlank() || kind.isBlank() || name.isBlank()) {
            throw new IllegalArgumentException("orchestrator, kind and name must not be blank");
        }
        if (namespace != null && namespace.isBlank()) {
            namespace = null;
        }
    }

    /** A reference without a namespace. */
    public static TargetRef of(String orchestrator, String kind, String name) {
        return new TargetRef(orchestrator, kind, null, name);
    }

    @Override
    public String toString() {
        return orchestrator + "/" + kind + "/" + (namespace == null ? "" : namespace + "/") + name;
    }
}
