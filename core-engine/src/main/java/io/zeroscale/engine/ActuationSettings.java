package io.zeroscale.engine;

import io.zeroscale.spi.Config;
import java.time.Duration;
import java.util.Set;

/**
 * How the engine calls orchestrators: retries with jittered exponential backoff, one circuit
 * breaker and one rate limiter per orchestrator instance.
 *
 * @param maxAttempts attempts per call, the first included
 * @param initialBackoff wait before the first retry; doubles each retry, ±50% jitter
 * @param maxBackoff longest wait between retries
 * @param breakerWaitInOpen how long the breaker stays open before letting a trial call through
 * @param callsPerSecond calls per second allowed per orchestrator
 */
public record ActuationSettings(
        int maxAttempts, Duration initialBackoff, Duration maxBackoff, Duration breakerWaitInOpen, int callsPerSecond) {
    public static final ActuationSettings DEFAULT =
            new ActuationSettings(5, Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofSeconds(30), 50);

    public ActuationSettings {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1");
        }
        if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("backoffs must satisfy 0 <= initial <= max");
        }
        if (callsPerSecond < 1) {
            throw new IllegalArgumentException("callsPerSecond must be at least 1");
        }
    }

    /** Reads an {@code actuation:} node; absent keys keep the defaults. */
    public static ActuationSettings fromConfig(Config config) {
        config.requireOnlyKeys(Set.of("max-attempts", "initial-backoff", "max-backoff", "breaker-wait", "calls-per-second"));
        return new ActuationSettings(
                config.integer("max-attempts", DEFAULT.maxAttempts),
                config.duration("initial-backoff", DEFAULT.initialBackoff),
                config.duration("max-backoff", DEFAULT.maxBackoff),
                config.duration("breaker-wait", DEFAULT.breakerWaitInOpen),
                config.integer("calls-per-second", DEFAULT.callsPerSecond));
    }
}
