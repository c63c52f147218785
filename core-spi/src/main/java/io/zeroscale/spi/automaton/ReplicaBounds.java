package io.zeroscale.spi.automaton;

/** The policy's {@code replicas: {min, max}}; the engine never decides outside them. */
public record ReplicaBounds(int min, int max) {
    public ReplicaBounds {
        if (min < 0) {
            throw new IllegalArgumentException("min must not be negative, got " + min);
        }
        if (max < min) {
            throw new IllegalArgumentException("min (" + min + ") must not exceed max (" + max + ")");
        }
    }

    public int clamp(int replicas) {
        return Math.max(min, Math.min(max, replicas));
    }
}
