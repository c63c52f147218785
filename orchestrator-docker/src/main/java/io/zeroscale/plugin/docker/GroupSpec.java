package io.zeroscale.plugin.docker;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.orchestrator.ResourceProfile;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A target's container template and readiness settings, read from its {@code workload:} config.
 * With {@code adoptLabel} set, the group is the existing containers carrying that label, and
 * {@code image} (optional then) is only used to create more than exist.
 */
record GroupSpec(
        @Nullable String image,
        List<String> command,
        Map<String, String> env,
        @Nullable Integer port,
        Map<String, String> labels,
        @Nullable Double cpus,
        @Nullable Long memoryBytes,
        @Nullable Integer gpus,
        @Nullable Healthcheck healthcheck,
        Readiness readiness,
        Duration stopGrace,
        @Nullable String adoptLabel,
        StoppedTier stoppedTier) {
    /** {@code gpus: all}, as Docker's device request count -1. */
    static final int ALL_GPUS = -1;

    GroupSpec {
        command = List.copyOf(requireNonNull(command, "command is null"));
        env = Map.copyOf(requireNonNull(env, "env is null"));
        labels = Map.copyOf(requireNonNull(labels, "labels is null"));
        requireNonNull(readiness, "readiness is null");
        requireNonNull(stopGrace, "stopGrace is null");
        requireNonNull(stoppedTier, "stoppedTier is null");
        if (image == null && adoptLabel == null) {
            throw new IllegalArgumentException("a group needs an image or an adopt label");
        }
        if (readiness.kind() != ProbeKind.NONE && port == null) {
            throw new IllegalArgumentException("a readiness probe needs a port");
        }
    }

    boolean adopting() {
        return adoptLabel != null;
    }

    /** This template with the profile's non-null resources applied. */
    GroupSpec with(ResourceProfile profile) {
        return new GroupSpec(image, command, env, port, labels,
                profile.cpus() != null ? profile.cpus() : cpus,
                profile.memoryBytes() != null ? profile.memoryBytes() : memoryBytes,
                profile.gpus() != null ? (profile.gpus() == 0 ? null : profile.gpus()) : gpus,
                healthcheck, readiness, stopGrace, adoptLabel, stoppedTier);
    }

    enum ProbeKind {
        /** No probe: a running container (healthy, if it has a healthcheck) is ready. */
        NONE,
        /** A TCP connect to the published port. */
        TCP,
        /** An HTTP GET on the published port answered with 2xx or 3xx. */
        HTTP,
    }

    /**
     * Our own probe of the published port, used when the container has no healthcheck status: every
     * {@code startupInterval} while a container starts (a wake waits on it, so it is short, and it
     * probes the port only, without reading the engine), every {@code interval} otherwise.
     */
    record Readiness(ProbeKind kind, String path, Duration interval, Duration startupInterval, Duration timeout) {
        Readiness {
            requireNonNull(kind, "kind is null");
            requireNonNull(path, "path is null");
            requireNonNull(interval, "interval is null");
            requireNonNull(startupInterval, "startupInterval is null");
            requireNonNull(timeout, "timeout is null");
        }
    }

    /**
     * How many of the group's own containers a scale-down keeps created but stopped (so the next
     * wake is a start, not a create and a start), and for how long before they are removed.
     */
    record StoppedTier(int keep, Duration keepFor) {
        static final StoppedTier NONE = new StoppedTier(0, Duration.ofHours(1));

        StoppedTier {
            requireNonNull(keepFor, "keepFor is null");
            if (keep < 0) {
                throw new IllegalArgumentException("keep must not be negative, got " + keep);
            }
        }
    }

    /** The container's own healthcheck, as Docker's HEALTHCHECK (test is CMD or CMD-SHELL form). */
    record Healthcheck(List<String> test, Duration interval, Duration timeout, int retries, Duration startPeriod) {
        Healthcheck {
            test = List.copyOf(requireNonNull(test, "test is null"));
            requireNonNull(interval, "interval is null");
            requireNonNull(timeout, "timeout is null");
            requireNonNull(startPeriod, "startPeriod is null");
        }
    }
}
