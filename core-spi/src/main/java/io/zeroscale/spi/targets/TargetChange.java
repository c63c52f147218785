package io.zeroscale.spi.targets;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One batch of changes from a {@link TargetSource}, applied all or nothing.
 *
 * @param added targets the source did not define before
 * @param updated targets it defined before, with their new definition (a changed workload
 *     reference is applied as a removal plus an addition, a changed policy restarts the target's
 *     automaton from {@code Start})
 * @param removed names of targets it no longer defines: their workloads are left as they are
 * @param origin what caused the change, one line for the journal and log (e.g. "config file changed")
 */
public record TargetChange(List<TargetDefinition> added, List<TargetDefinition> updated, List<String> removed, String origin) {
    public TargetChange {
        added = List.copyOf(requireNonNull(added, "added is null"));
        updated = List.copyOf(requireNonNull(updated, "updated is null"));
        removed = List.copyOf(requireNonNull(removed, "removed is null"));
        requireNonNull(origin, "origin is null");
    }

    /** True when the batch changes nothing. */
    public boolean isEmpty() {
        return added.isEmpty() && updated.isEmpty() && removed.isEmpty();
    }
}
