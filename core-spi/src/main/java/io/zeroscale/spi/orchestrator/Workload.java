package io.zeroscale.spi.orchestrator;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.TargetRef;

/**
 * A target as its orchestrator sees it: the reference plus the {@code workload:} settings from
 * config that only this orchestrator understands (a command line, a container template, a label
 * selector).
 */
public record Workload(TargetRef target, Config settings) {
    public Workload {
        requireNonNull(target, "target is null");
        requireNonNull(settings, "settings is null");
    }
}
