package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.engine.time.VirtualScheduler;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.automaton.Action;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import io.zeroscale.spi.traffic.Routing;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One journal entry and one alert per failure streak, and the end of each backoff, without an engine. */
class CrashLoopTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final TargetRef APP = TargetRef.of("local", "Process", "app");
    private final VirtualScheduler scheduler = new VirtualScheduler(T0);
    private final Journal journal = new Journal(100);
    private final StartFailures failures = new StartFailures(new StartFailureSettings(Duration.ofSeconds(1), Duration.ofMinutes(5), 2));
    private final List<Action.Alert> alerts = new ArrayList<>();
    private final List<Instant> backoffsOver = new ArrayList<>();
    private final CrashLoop crashLoop = new CrashLoop("app", failures, journal, scheduler, new CrashLoop.Target() {
        @Override
        public JournalEntry entry(JournalEntry.Kind kind, String message) {
            return new JournalEntry(scheduler.now(), APP, kind, "WAKING", 1, Routing.HOLD, message);
        }

        @Override
        public void alert(Action.Alert alert) {
            alerts.add(alert);
        }

        @Override
        public void backoffOver() {
            backoffsOver.add(scheduler.now());
        }
    });

    private static WorkloadEvent.ReplicaFailed exit(int status) {
        return new WorkloadEvent.ReplicaFailed("app-1", "exited with status " + status, List.of("boom"));
    }

    @Test
    void aStreakIsOneJournalEntryUpdatedInPlaceWithOneAlertWhenThePolicyGivesUp() {
        FailureStreak first = crashLoop.failed(exit(3));
        assertThat(first.failuresInARow()).isEqualTo(1);
        assertThat(alerts).as("the policy has not given up yet").isEmpty();
        assertThat(journal.recent(10)).singleElement().satisfies(entry -> {
            assertThat(entry.kind()).isEqualTo(JournalEntry.Kind.START_FAILURES);
            assertThat(entry.message()).startsWith("1 replica failed");
        });

        scheduler.advance(Duration.ofMillis(100));
        crashLoop.failed(exit(3));
        scheduler.advance(Duration.ofMillis(100));
        crashLoop.failed(exit(4));

        assertThat(journal.recent(10)).as("still one entry, updated in place").singleElement()
                .satisfies(entry -> assertThat(entry.message()).startsWith("3 replicas failed in a row")
                        .contains("exited with status 4"));
        assertThat(alerts).as("one alert per streak, when it gave up").singleElement().satisfies(alert -> {
            assertThat(alert.severity()).isEqualTo(Action.Severity.CRITICAL);
            assertThat(alert.message()).startsWith("target app cannot start: replica app-1 exited with status 3")
                    .contains("2 failed starts in a row");
        });
    }

    @Test
    void onlyTheNewestBackoffEndsAndAReadyReplicaEndsTheStreakAndItsBackoff() {
        crashLoop.failed(exit(3));
        assertThat(crashLoop.backingOff()).isTrue();
        FailureStreak second = crashLoop.failed(exit(3));

        scheduler.advanceTo(second.nextAttemptAt());
        assertThat(backoffsOver).as("the first backoff's timer was replaced by the second's").containsExactly(second.nextAttemptAt());
        assertThat(crashLoop.backingOff()).isFalse();

        FailureStreak third = crashLoop.failed(exit(3));
        crashLoop.becameReady();
        assertThat(crashLoop.backingOff()).isFalse();
        assertThat(failures.streak()).isNull();
        assertThat(journal.recent(10)).singleElement()
                .satisfies(entry -> assertThat(entry.message()).endsWith("ended: a replica became ready; backoff reset"));
        scheduler.advanceTo(third.nextAttemptAt());
        assertThat(backoffsOver).as("the ended streak's backoff timer was cancelled").hasSize(1);

        crashLoop.failed(exit(5));
        assertThat(journal.recent(10)).as("a new streak gets its own entry").hasSize(2);
        crashLoop.becameReady();
        crashLoop.becameReady();
        assertThat(journal.recent(10)).as("ready without a streak journals nothing").hasSize(2);
    }
}
