package io.zeroscale.engine;

import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.automaton.Action;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A target's failure streaks, as its actor handles them: one journal entry per streak (updated in
 * place as replicas keep failing, closed when one becomes ready), one alert when the policy gives
 * up on the wake, and a timer for the end of each backoff. {@link StartFailures} counts the streak
 * and says how long to back off; {@link WorkloadActuation} holds restarts back meanwhile, and the
 * route refuses requests with the reason once given up. Confined to the target's actor.
 */
final class CrashLoop {
    private static final Logger log = LoggerFactory.getLogger(CrashLoop.class);

    /** What a crash loop needs of its target's actor. */
    interface Target {
        /** A journal entry of the target as it stands now. */
        JournalEntry entry(JournalEntry.Kind kind, String message);

        /** Sends (or, on a follower, only journals) an alert. */
        void alert(Action.Alert alert);

        /** The backoff ended: called on the scheduler's thread, so post it to the actor. */
        void backoffOver();
    }

    private final String name;
    private final StartFailures failures;
    private final Journal journal;
    private final Scheduler scheduler;
    private final Target target;
    /** The journal entry of the current streak, updated in place; null between streaks. */
    private @Nullable JournalEntry streakEntry;
    private Subscription backoffEnd = Subscription.NONE;

    CrashLoop(String name, StartFailures failures, Journal journal, Scheduler scheduler, Target target) {
        this.name = name;
        this.failures = failures;
        this.journal = journal;
        this.scheduler = scheduler;
        this.target = target;
    }

    /**
     * A replica failed before one was ready: counts it, journals the streak, alerts once when the
     * policy gives up, and times the end of the backoff. Returns the streak as it stands now.
     */
    FailureStreak failed(WorkloadEvent.ReplicaFailed failed) {
        FailureStreak before = failures.streak();
        FailureStreak streak = failures.failed(failed, now());
        log.warn("target {}: {}; restarting no earlier than {}", name, streak.lastReason(), streak.nextAttemptAt());
        journal(streak, null);
        if (streak.gaveUp() && (before == null || !before.gaveUp())) {
            target.alert(new Action.Alert(Action.Severity.CRITICAL, StartFailures.refusalReason(name, streak)));
        }
        backoffEnd.close();
        backoffEnd = scheduler.schedule(Duration.between(now(), streak.nextAttemptAt()), target::backoffOver);
        return streak;
    }

    /** A replica became ready: the streak (if any) ends, and so does its backoff. */
    void becameReady() {
        FailureStreak ended = failures.ready();
        if (ended != null) {
            backoffEnd.close();
            journal(ended, "a replica became ready; backoff reset");
        }
    }

    /** True while restarts are still held back (a newer failure moved the end of the backoff). */
    boolean backingOff() {
        return failures.holdsBackUntil(now()) != null;
    }

    void close() {
        backoffEnd.close();
    }

    private void journal(FailureStreak streak, @Nullable String ended) {
        JournalEntry previous = streakEntry;
        JournalEntry entry = target.entry(JournalEntry.Kind.START_FAILURES, streak.describe(ended));
        if (previous == null) {
            journal.append(entry);
        } else {
            journal.update(previous, entry);
        }
        streakEntry = ended == null ? entry : null;
    }

    private Instant now() {
        return scheduler.clock().instant();
    }
}
