package io.zeroscale.spi.automaton;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.TargetRef;
import java.util.Set;

/**
 * What an automaton factory gets to build one target's automaton.
 *
 * @param target the target
 * @param bounds the policy's replica bounds
 * @param signals the names of the target's configured signals (for type-checking expressions)
 * @param settings the policy keys that belong to the automaton, i.e. all but the engine's own
 *     ({@code automaton}, {@code replicas}, {@code signals}, {@code tick}, {@code fallback})
 */
public record AutomatonSpec(TargetRef target, ReplicaBounds bounds, Set<String> signals, Config settings) {
    public AutomatonSpec {
        requireNonNull(target, "target is null");
        requireNonNull(bounds, "bounds is null");
        signals = Set.copyOf(requireNonNull(signals, "signals is null"));
        requireNonNull(settings, "settings is null");
    }
}
