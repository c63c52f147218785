package io.zeroscale.engine;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.ConfigProblems;
import io.zeroscale.spi.Durations;
import java.time.Duration;
import java.util.Set;

/**
 * A policy's {@code start-failures:} block: how the engine treats replicas that fail (exit, are
 * killed, never get ready) before a replica becomes ready again.
 *
 * @param backoff the wait before the first restart; it doubles with every failure in a row
 * @param maxBackoff the longest wait between restarts
 * @param giveUpAfter failures in a row after which held requests are answered 503 with the reason
 *     and new ones are refused until the next attempt, instead of waiting for the wake timeout
 */
public record StartFailureSettings(Duration backoff, Duration maxBackoff, int giveUpAfter) {
    public static final StartFailureSettings DEFAULTS = new StartFailureSettings(Duration.ofSeconds(1), Duration.ofMinutes(5), 2);

    static final Set<String> KEYS = Set.of("backoff", "max-backoff", "give-up-after");

    public StartFailureSettings {
        if (backoff.isNegative() || backoff.isZero()) {
            throw new IllegalArgumentException("backoff must be positive");
        }
        if (maxBackoff.compareTo(backoff) < 0) {
            throw new IllegalArgumentException("maxBackoff must not be shorter than backoff");
        }
        if (giveUpAfter < 1) {
            throw new IllegalArgumentException("giveUpAfter must be at least 1");
        }
    }

    /**
     * Reads {@code start-failures:}; every key is optional. Each problem (an unknown key, a zero
     * backoff, a max-backoff shorter than backoff, give-up-after below 1) is recorded in {@code
     * problems} with its path and fix, along with the rest of the file's problems; what is wrong
     * falls back to its default so the other keys are still checked.
     */
    static StartFailureSettings fromConfig(Config node, ConfigProblems problems) {
        problems.attempt(() -> node.requireOnlyKeys(KEYS));
        Duration parsedBackoff = problems.attempt(() -> {
            Duration value = node.duration("backoff", DEFAULTS.backoff());
            if (value.isZero()) {
                throw node.invalid("backoff", "must be longer than 0s, e.g. 1s: restarting a failing replica at once is a crash loop");
            }
            return value;
        }).orElse(null);
        Duration backoff = parsedBackoff == null ? DEFAULTS.backoff() : parsedBackoff;
        Duration defaultMax = DEFAULTS.maxBackoff().compareTo(backoff) < 0 ? backoff : DEFAULTS.maxBackoff();
        Duration max = problems.attempt(() -> {
            Duration value = node.duration("max-backoff", defaultMax);
            // Compared with backoff only when backoff itself was readable: a default would blame the wrong key.
            if (parsedBackoff != null && value.compareTo(backoff) < 0) {
                throw node.invalid("max-backoff", "must not be shorter than backoff (" + Durations.format(backoff) + ")");
            }
            return value;
        }).orElse(defaultMax);
        int giveUpAfter = problems.attempt(() -> {
            int value = node.integer("give-up-after", DEFAULTS.giveUpAfter());
            if (value < 1) {
                throw node.invalid("give-up-after", "must be at least 1, got " + value);
            }
            return value;
        }).orElse(DEFAULTS.giveUpAfter());
        return new StartFailureSettings(backoff, max.compareTo(backoff) < 0 ? backoff : max, giveUpAfter);
    }

    /** The wait after the {@code failures}-th failure in a row: backoff doubled per failure, capped. */
    Duration delayAfter(int failures) {
        Duration delay = backoff;
        for (int i = 1; i < failures && delay.compareTo(maxBackoff) < 0; i++) {
            delay = delay.multipliedBy(2);
        }
        return delay.compareTo(maxBackoff) > 0 ? maxBackoff : delay;
    }
}
