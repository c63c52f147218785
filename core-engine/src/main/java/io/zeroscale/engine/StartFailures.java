package io.zeroscale.engine;

import io.zeroscale.spi.orchestrator.WorkloadEvent;
import io.zeroscale.spi.traffic.Route;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One target's crash-loop backoff, the engine's CrashLoopBackOff: counts replicas that fail before
 * a replica becomes ready, holds restarts back exponentially, and gives up on a wake after a few
 * failures so held requests get the reason at once instead of waiting for the wake timeout.
 * Actor-confined: used only from the target's actor.
 */
final class StartFailures {
    /** Lines of a replica's output quoted in reasons: enough to show the error, short enough for one line. */
    static final int OUTPUT_LINES = 3;

    private static final int MAX_LINE = 200;

    private final StartFailureSettings settings;
    private @Nullable FailureStreak streak;

    StartFailures(StartFailureSettings settings) {
        this.settings = settings;
    }

    /** Counts a failed replica; returns the streak it belongs to, with its next attempt set. */
    FailureStreak failed(WorkloadEvent.ReplicaFailed failure, Instant now) {
        String reason = reason(failure);
        FailureStreak previous = streak;
        int count = previous == null ? 1 : previous.failuresInARow() + 1;
        Instant next = now.plus(settings.delayAfter(count));
        FailureStreak current = new FailureStreak(count, previous == null ? reason : previous.firstReason(), reason,
                previous == null ? now : previous.firstAt(), now, next, count >= settings.giveUpAfter());
        streak = current;
        return current;
    }

    /** A replica became ready: the streak ends and the backoff is reset. Returns the ended streak, if any. */
    @Nullable FailureStreak ready() {
        FailureStreak ended = streak;
        streak = null;
        return ended;
    }

    @Nullable FailureStreak streak() {
        return streak;
    }

    /** When restarts may happen again, or null when nothing holds them back at {@code now}. */
    @Nullable Instant holdsBackUntil(Instant now) {
        FailureStreak current = streak;
        return current != null && current.backingOff(now) ? current.nextAttemptAt() : null;
    }

    /** What the gateway answers requests with while the engine has given up and backs off, or null. */
    Route.@Nullable Refusal refusal(String target, Instant now) {
        FailureStreak current = streak;
        if (current == null || !current.gaveUp() || !current.backingOff(now)) {
            return null;
        }
        return new Route.Refusal(refusalReason(target, current), current.nextAttemptAt());
    }

    /** One line naming the target (its name in config) and the reason. */
    static String refusalReason(String target, FailureStreak streak) {
        return "target " + target + " cannot start: " + streak.lastReason() + " (" + streak.failuresInARow()
                + (streak.failuresInARow() == 1 ? " failed start" : " failed starts in a row") + "; next attempt at "
                + streak.nextAttemptAt() + ")";
    }

    Duration delayAfter(int failures) {
        return settings.delayAfter(failures);
    }

    /** The orchestrator's reason with the replica's last lines of output, on one line. */
    static String reason(WorkloadEvent.ReplicaFailed failure) {
        List<String> output = failure.output().stream().map(String::strip).filter(line -> !line.isEmpty()).toList();
        String reason = "replica " + failure.replica() + " " + oneLine(failure.reason());
        if (output.isEmpty()) {
            return reason;
        }
        List<String> tail = output.subList(Math.max(0, output.size() - OUTPUT_LINES), output.size());
        return reason + "; last output: " + String.join(" | ", tail.stream().map(StartFailures::oneLine).toList());
    }

    private static String oneLine(String text) {
        String line = text.replaceAll("[\\r\\n]+", " ").strip();
        return line.length() <= MAX_LINE ? line : line.substring(0, MAX_LINE) + "…";
    }
}
