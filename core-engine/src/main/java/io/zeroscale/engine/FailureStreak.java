package io.zeroscale.engine;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * Replicas of one target that failed in a row, with no replica becoming ready in between: what the
 * REST API shows as a target's backoff, and what its one journal entry per streak says.
 *
 * @param failuresInARow how many failed since a replica last became ready
 * @param firstReason the first failure's reason (with the replica's last output)
 * @param lastReason the newest failure's reason
 * @param firstAt when the first one failed
 * @param lastAt when the newest one failed
 * @param nextAttemptAt when the engine starts a replica again at the earliest
 * @param gaveUp true once {@code failuresInARow} reached {@code start-failures.give-up-after}: held
 *     requests were answered 503 and new ones are refused until {@code nextAttemptAt}
 */
public record FailureStreak(
        int failuresInARow, String firstReason, String lastReason, Instant firstAt, Instant lastAt, Instant nextAttemptAt,
        boolean gaveUp) {
    public FailureStreak {
        if (failuresInARow < 1) {
            throw new IllegalArgumentException("failuresInARow must be at least 1");
        }
        requireNonNull(firstReason, "firstReason is null");
        requireNonNull(lastReason, "lastReason is null");
        requireNonNull(firstAt, "firstAt is null");
        requireNonNull(lastAt, "lastAt is null");
        requireNonNull(nextAttemptAt, "nextAttemptAt is null");
    }

    /** True while restarts are held back and, once given up, requests are refused. */
    public boolean backingOff(Instant now) {
        return now.isBefore(nextAttemptAt);
    }

    /** The journal's words for this streak; {@code ended} says how it ended, or null while it lasts. */
    String describe(@org.jspecify.annotations.Nullable String ended) {
        String head = failuresInARow == 1 ? "1 replica failed" : failuresInARow + " replicas failed in a row";
        String tail = ended != null ? "; ended: " + ended : "; next attempt at " + nextAttemptAt + (gaveUp ? " (gave up on the wake: requests answered 503 until then)" : "");
        return head + " since " + firstAt + "; first: " + firstReason
                + (failuresInARow > 1 ? "; last (" + lastAt + "): " + lastReason : "") + tail;
    }
}
