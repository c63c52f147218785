package io.zeroscale.engine.automaton;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.Durations;
import io.zeroscale.spi.TargetRef;
import java.time.Duration;

/**
 * A target's one wake-timeout, {@code targets.<name>.policy.wake-timeout}: how long a wake may
 * take before held requests are answered 504. The {@code zero-to-n} automaton reads it to fail the
 * wake, and the daemon gives the same value to the gateway for the target's routes, so held
 * requests fail at the same moment with the same status and text whichever component times them
 * out. Stateless; every method may be called from any thread.
 */
public final class WakeTimeout {
    /** The policy key. */
    public static final String KEY = "wake-timeout";

    /** The wake-timeout of a policy that does not set one. */
    public static final Duration DEFAULT = Duration.ofMinutes(3);

    /** The HTTP status of a request held past the wake-timeout. */
    public static final int STATUS = 504;

    private WakeTimeout() {}

    /**
     * The wake-timeout of a target's policy settings (the keys left for the automaton).
     *
     * @param settings the target's policy settings
     * @return the configured value, or {@link #DEFAULT} when absent or unreadable (the automaton's
     *     factory reports an unreadable value with its path, so it is not reported twice)
     */
    public static Duration of(Config settings) {
        try {
            return read(settings);
        } catch (RuntimeException e) {
            return DEFAULT;
        }
    }

    /** Reads the value, refusing anything that is not a duration longer than 0s. */
    static Duration read(Config settings) {
        Duration value = settings.duration(KEY, DEFAULT);
        if (value.isZero()) {
            throw settings.invalid(KEY, "must be longer than 0s");
        }
        return value;
    }

    /** The text a request held past the wake-timeout is answered with; the gateway writes the same. */
    public static String message(TargetRef target, Duration wakeTimeout) {
        return "target " + target + " did not become ready within " + Durations.format(wakeTimeout)
                + " (" + KEY + "); try again later";
    }
}
