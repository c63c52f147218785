package io.zeroscale.testkit;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.List;
import java.util.Map;

/** The {@code status} of a custom resource read as a generic one (a {@code ScaledTarget}), for assertions. */
public final class ResourceStatus {
    private ResourceStatus() {}

    /** The resource's {@code status}, empty while it has none. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> of(GenericKubernetesResource resource) {
        Object status = resource.getAdditionalProperties().get("status");
        return status instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
    }

    /** The condition of {@code type} in {@code status.conditions}, empty while there is none. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> condition(GenericKubernetesResource resource, String type) {
        if (!(of(resource).get("conditions") instanceof List<?> conditions)) {
            return Map.of();
        }
        return conditions.stream().map(c -> (Map<String, Object>) c).filter(c -> type.equals(c.get("type"))).findFirst()
                .orElse(Map.of());
    }
}
