package io.zeroscale.engine.automaton;

import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.AutomatonFactory;
import io.zeroscale.spi.automaton.AutomatonSpec;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@code automaton: custom}: a state machine the user writes in the policy, with CEL guards (see
 * {@code core-engine/docs/custom-automata.md}). Thread-safe.
 */
public final class CustomAutomatonFactory implements AutomatonFactory {
    public static final String TYPE = "custom";

    // Compiling a policy costs milliseconds; thousands of targets often share one policy text, so
    // each distinct (settings, signals) pair is validated and compiled once. Only valid policies
    // are kept, so a cached definition can never hide an error path of another target.
    private static final int CACHED_POLICIES = 256;

    private record Key(Map<String, Object> settings, Set<String> signals) {}

    private final Map<Key, CustomAutomatonDefinition> definitions = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, CustomAutomatonDefinition> eldest) {
            return size() > CACHED_POLICIES;
        }
    };

    @Override
    public String type() {
        return TYPE;
    }

    /**
     * Validates the policy (compiling every expression) and builds the target's automaton. Touches
     * no backend and does not use {@code context}.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code POLICY_INVALID} naming the path and the fix
     */
    @Override
    public Automaton create(AutomatonSpec spec, PluginContext context) {
        return new CustomAutomaton(definition(spec), spec.bounds(), spec.target());
    }

    private CustomAutomatonDefinition definition(AutomatonSpec spec) {
        Key key = new Key(spec.settings().asMap(), spec.signals());
        synchronized (definitions) {
            CustomAutomatonDefinition cached = definitions.get(key);
            if (cached != null) {
                return cached;
            }
        }
        CustomAutomatonDefinition parsed = CustomAutomatonDefinition.parse(spec.settings(), spec.signals());
        synchronized (definitions) {
            definitions.put(key, parsed);
        }
        return parsed;
    }
}
