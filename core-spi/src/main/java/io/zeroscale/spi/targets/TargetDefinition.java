package io.zeroscale.spi.targets;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Config;

/**
 * One target as a source defines it: the same node a {@code targets.<name>} entry of the config
 * file is ({@code orchestrator}, {@code workload}, {@code route}, {@code policy}), so every source
 * is checked by the same rules and reported with the same paths and fixes.
 *
 * @param name the target's name, unique across every source; becomes {@code targets.<name>} in messages
 * @param settings the target's node; its {@link Config#path()} says where it came from
 */
public record TargetDefinition(String name, Config settings) {
    public TargetDefinition {
        requireNonNull(name, "name is null");
        requireNonNull(settings, "settings is null");
        if (name.isBlank()) {
            throw new IllegalArgumentException("a target name must not be blank");
        }
    }
}
