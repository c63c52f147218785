package io.zeroscale.engine;

import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.automaton.Action;
import io.zeroscale.spi.automaton.Decision;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * How long each target's wakes took, as {@link WakeWatch} counts them (the wakes the wake-slow and
 * wake-failed alerts see), on the engine's clock. Fed by the engine after every decision, on the
 * target's actor thread; read from any thread. The last {@link #KEPT} durations per target are
 * kept for the median and p99, so 1,000 targets cost about 2 MB at most.
 */
public final class WakeTimes {
    /** Durations kept per target. */
    static final int KEPT = 256;

    private final Map<TargetRef, Target> targets = new ConcurrentHashMap<>();

    /**
     * One target's wakes.
     *
     * @param completed wakes that ended with a ready replica since the target was added
     * @param failed wakes that failed since then
     * @param last the newest completed wake's duration, or null before the first
     * @param lastAt when it ended, or null
     * @param median the median of the last {@link #KEPT} completed wakes (the lower middle of an even count), or null
     * @param p99 their 99th percentile (nearest rank), or null
     * @param wakingSince when the wake going on now started, or null
     */
    public record Summary(
            long completed, long failed, @Nullable Duration last, @Nullable Instant lastAt, @Nullable Duration median,
            @Nullable Duration p99, @Nullable Instant wakingSince) {
        static final Summary NONE = new Summary(0, 0, null, null, null, null, null);
    }

    /** Called by the engine after each decision of {@code ref}, on its actor thread. */
    void decided(TargetRef ref, TargetStatus status, Decision decision) {
        Target target = targets.computeIfAbsent(ref, key -> new Target());
        boolean failedHeld = failsHeld(decision);
        synchronized (target) {
            switch (target.watch.observe(status.desiredReplicas(), status.readyReplicas(), failedHeld, status.updatedAt())) {
                case WakeWatch.Step.Ready ready -> target.add(ready.took(), status.updatedAt());
                case WakeWatch.Step.Failed ignored -> target.failed++;
                case WakeWatch.Step.Started ignored -> {}
                case WakeWatch.Step.Waiting ignored -> {}
                case WakeWatch.Step.Idle ignored -> {}
            }
        }
    }

    /** True when {@code decision} answers the held requests with an error. No stream: this runs on every decision. */
    private static boolean failsHeld(Decision decision) {
        if (decision.actions().isEmpty()) {
            return false; // most decisions: no iterator
        }
        for (Action action : decision.actions()) {
            if (action instanceof Action.FailHeld) {
                return true;
            }
        }
        return false;
    }

    /** Forgets a removed target. */
    void forget(TargetRef ref) {
        targets.remove(ref);
    }

    /** The wakes of the target that scales {@code ref}: zero counts and nulls before its first. */
    public Summary summary(TargetRef ref) {
        Target target = targets.get(ref);
        if (target == null) {
            return Summary.NONE;
        }
        synchronized (target) {
            return target.summary();
        }
    }

    private static final long[] NONE_KEPT = new long[0];

    private static final class Target {
        final WakeWatch watch = new WakeWatch();
        /**
         * Nanoseconds, a ring of the last KEPT; grown as wakes complete, so a target that never
         * woke (most of 100,000) costs no 2 KB array.
         */
        long[] kept = NONE_KEPT;
        long completed;
        long failed;
        @Nullable Duration last;
        @Nullable Instant lastAt;

        void add(Duration took, Instant at) {
            if (completed < KEPT && completed == kept.length) {
                kept = Arrays.copyOf(kept, (int) Math.min(KEPT, Math.max(4, 2 * completed)));
            }
            kept[(int) (completed % KEPT)] = took.toNanos();
            completed++;
            last = took;
            lastAt = at;
        }

        Summary summary() {
            int n = (int) Math.min(completed, KEPT);
            if (n == 0) {
                return new Summary(0, failed, null, null, null, null, watch.since());
            }
            long[] sorted = Arrays.copyOf(kept, n);
            Arrays.sort(sorted);
            return new Summary(completed, failed, last, lastAt, Duration.ofNanos(sorted[(n - 1) / 2]),
                    Duration.ofNanos(sorted[(int) Math.ceil(0.99 * n) - 1]), watch.since());
        }
    }
}
