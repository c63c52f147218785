package io.zeroscale.plugin.k8s;

import io.fabric8.kubernetes.api.model.Quantity;
import io.zeroscale.spi.orchestrator.ResourceProfile;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A {@link ResourceProfile} as a container's {@code resources}: CPUs and memory as requests and
 * limits alike (the replica gets what the profile says, no more, no less: Guaranteed when both are
 * set), GPUs as the extended resource's limit (and its request, when the container has one: the
 * two must be equal). What the profile leaves null stays as the container has it; zero GPUs removes
 * the extended resource.
 */
final class Resources {
    /** The least CPU a container can request: one millicore. */
    static final double LEAST_CPUS = 0.001;

    private Resources() {}

    /**
     * The container's new {@code resources} ({@code requests}, {@code limits} and whatever else it
     * had) after applying {@code profile} to {@code current}.
     */
    static Map<String, Object> apply(@Nullable Map<?, ?> current, ResourceProfile profile, String gpuResource) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (current != null) {
            current.forEach((k, v) -> out.put(String.valueOf(k), v));
        }
        Map<String, Object> requests = copy(out.get("requests"));
        Map<String, Object> limits = copy(out.get("limits"));
        if (profile.cpus() != null) {
            String cpu = cpu(profile.cpus());
            requests.put("cpu", cpu);
            limits.put("cpu", cpu);
        }
        if (profile.memoryBytes() != null) {
            String memory = Long.toString(profile.memoryBytes());
            requests.put("memory", memory);
            limits.put("memory", memory);
        }
        if (profile.gpus() != null) {
            if (profile.gpus() == 0) {
                requests.remove(gpuResource);
                limits.remove(gpuResource);
            } else {
                String gpus = Integer.toString(profile.gpus());
                limits.put(gpuResource, gpus);
                if (requests.containsKey(gpuResource)) {
                    requests.put(gpuResource, gpus);
                }
            }
        }
        put(out, "requests", requests);
        put(out, "limits", limits);
        return out;
    }

    private static void put(Map<String, Object> out, String key, Map<String, Object> values) {
        if (values.isEmpty()) {
            out.remove(key);
        } else {
            out.put(key, values);
        }
    }

    private static Map<String, Object> copy(@Nullable Object value) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> out.put(String.valueOf(k), v));
        }
        return out;
    }

    /** CPUs as a quantity: whole cores as such, else millicores ({@code 0.25} → {@code 250m}). */
    static String cpu(double cpus) {
        long millis = Math.max(1, Math.round(cpus * 1000));
        return millis % 1000 == 0 ? Long.toString(millis / 1000) : millis + "m";
    }

    /** True when the two {@code resources} maps ask for the same amounts ({@code 1} equals {@code 1000m}). */
    static boolean same(@Nullable Map<?, ?> a, Map<?, ?> b) {
        Map<?, ?> left = a == null ? Map.of() : a;
        if (!left.keySet().equals(b.keySet())) {
            return false;
        }
        for (Object key : left.keySet()) {
            Object x = left.get(key);
            Object y = b.get(key);
            if (("requests".equals(key) || "limits".equals(key)) && x instanceof Map<?, ?> mx && y instanceof Map<?, ?> my) {
                if (!sameAmounts(mx, my)) {
                    return false;
                }
            } else if (!Objects.equals(x, y)) {
                return false;
            }
        }
        return true;
    }

    private static boolean sameAmounts(Map<?, ?> a, Map<?, ?> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        for (Object key : a.keySet()) {
            if (amount(a.get(key)).compareTo(amount(b.get(key))) != 0) {
                return false;
            }
        }
        return true;
    }

    private static BigDecimal amount(@Nullable Object quantity) {
        try {
            return new Quantity(String.valueOf(quantity)).getNumericalAmount();
        } catch (IllegalArgumentException e) {
            return BigDecimal.valueOf(-1);
        }
    }
}
