package io.zeroscale.plugin.k8s;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Matches labels against a {@link LabelSelector} as the API server does, so pods from a shared
 * namespace-wide informer can be assigned to their workload without a server-side query.
 */
final class Selectors {
    private Selectors() {}

    /**
     * True when {@code labels} satisfy {@code selector}. A null or empty selector matches nothing
     * here: a workload without a selector owns no pods we could name.
     */
    static boolean matches(@Nullable LabelSelector selector, @Nullable Map<String, String> labels) {
        if (selector == null || isEmpty(selector)) {
            return false;
        }
        Map<String, String> have = labels == null ? Map.of() : labels;
        Map<String, String> matchLabels = selector.getMatchLabels();
        if (matchLabels != null) {
            for (Map.Entry<String, String> e : matchLabels.entrySet()) {
                if (!e.getValue().equals(have.get(e.getKey()))) {
                    return false;
                }
            }
        }
        List<LabelSelectorRequirement> expressions = selector.getMatchExpressions();
        if (expressions != null) {
            for (LabelSelectorRequirement r : expressions) {
                String value = have.get(r.getKey());
                List<String> values = r.getValues() == null ? List.of() : r.getValues();
                boolean ok = switch (r.getOperator()) {
                    case "In" -> value != null && values.contains(value);
                    case "NotIn" -> value == null || !values.contains(value);
                    case "Exists" -> have.containsKey(r.getKey());
                    case "DoesNotExist" -> !have.containsKey(r.getKey());
                    default -> false;
                };
                if (!ok) {
                    return false;
                }
            }
        }
        return true;
    }

    static boolean isEmpty(LabelSelector selector) {
        return (selector.getMatchLabels() == null || selector.getMatchLabels().isEmpty())
                && (selector.getMatchExpressions() == null || selector.getMatchExpressions().isEmpty());
    }

    /** True when every label the Service selects on is in {@code podLabels} (a Service selector is labels only). */
    static boolean serviceSelects(@Nullable Map<String, String> serviceSelector, @Nullable Map<String, String> podLabels) {
        if (serviceSelector == null || serviceSelector.isEmpty() || podLabels == null) {
            return false;
        }
        for (Map.Entry<String, String> e : serviceSelector.entrySet()) {
            if (!e.getValue().equals(podLabels.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }
}
