package io.zeroscale.spi.orchestrator;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * The resources one replica gets. Null means "leave as configured".
 *
 * @param name a label for the journal, e.g. {@code small}, {@code gpu}
 * @param cpus CPU cores, fractional allowed
 * @param memoryBytes memory limit in bytes
 * @param gpus GPU devices
 */
public record ResourceProfile(String name, @Nullable Double cpus, @Nullable Long memoryBytes, @Nullable Integer gpus) {
    public ResourceProfile {
        requireNonNull(name, "name is null");
        if (cpus != null && cpus <= 0) {
            throw new IllegalArgumentException("cpus must be positive");
        }
        if (memoryBytes != null && memoryBytes <= 0) {
            throw new IllegalArgumentException("memoryBytes must be positive");
        }
        if (gpus != null && gpus < 0) {
            throw new IllegalArgumentException("gpus must not be negative");
        }
    }
}
