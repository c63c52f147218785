package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A workload that cannot start, through the whole engine on virtual time: restarts back off
 * exponentially, held requests are answered 503 with the reason once the policy gives up, requests
 * during the backoff are refused at once, and the journal holds one entry per failure streak.
 */
class CrashLoopEngineTest {
    private static final String TARGET = """
            orchestrator: fake
            workload: { kind: Process }
            policy:
              automaton: zero-to-n
              idle: 5m
              wake-timeout: 2m
              replicas: { min: 0, max: 2 }
            """;
    private static final String EXIT_3 = "exited with status 3 before it was ready";
    private static final List<String> OUTPUT = List.of("loading /models/m.bin", "model file missing");

    @Test
    void aCommandThatExitsAtStartIsAnsweredWithItsReasonAndRestartedWithBackoff() {
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofMillis(200))) {
            engine.orchestrator.failStarts(engine.ref, EXIT_3, OUTPUT);
            Instant asked = engine.time.clock().instant();
            engine.holdRequest();

            // Start, fail, 1 s backoff, start, fail: the policy gives up after 2 failures in a row.
            engine.advance(Duration.ofMillis(200));
            assertThat(engine.refused).as("one failure is not enough to give up").isEmpty();
            assertThat(engine.held()).isEqualTo(1);
            assertThat(engine.status().startFailures().failuresInARow()).isEqualTo(1);
            engine.advance(Duration.ofMillis(999));
            assertThat(engine.orchestrator.starts(engine.ref)).as("no restart before the 1 s backoff").isEqualTo(1);
            engine.advance(Duration.ofMillis(1));
            assertThat(engine.orchestrator.starts(engine.ref)).isEqualTo(2);
            engine.advance(Duration.ofMillis(200));

            assertThat(engine.refused).hasSize(1);
            assertThat(Duration.between(asked, engine.time.clock().instant())).isLessThan(Duration.ofSeconds(5));
            assertThat(engine.refused.getFirst())
                    .startsWith("target app cannot start: replica app-0 exited with status 3 before it was ready")
                    .contains("last output: loading /models/m.bin | model file missing")
                    .contains("2 failed starts in a row");
            assertThat(engine.route().refusal().retryAt()).isEqualTo(engine.time.clock().instant().plus(Duration.ofSeconds(2)));
            assertThat(engine.state()).isEqualTo("ZERO");
            FailureStreak streak = engine.status().startFailures();
            assertThat(streak.gaveUp()).isTrue();
            assertThat(streak.failuresInARow()).isEqualTo(2);

            // A request during the backoff is refused at once and wakes nothing.
            engine.holdRequest();
            assertThat(engine.refused).hasSize(2);
            assertThat(engine.orchestrator.starts(engine.ref)).isEqualTo(2);

            // A client that retries every second for two minutes: starts back off 1 s, 2 s, 4 s ... 64 s.
            for (int second = 0; second < 120; second++) {
                engine.advance(Duration.ofSeconds(1));
                engine.holdRequest();
            }
            int starts = engine.orchestrator.starts(engine.ref);
            assertThat(starts).isLessThan(15).isGreaterThanOrEqualTo(7);
            assertThat(engine.status().startFailures().failuresInARow()).isEqualTo(starts);
            assertThat(engine.held()).as("nothing waits for a wake timeout").isLessThanOrEqualTo(1);

            List<JournalEntry> streaks = engine.journal().stream()
                    .filter(entry -> entry.kind() == JournalEntry.Kind.START_FAILURES).toList();
            assertThat(streaks).hasSize(1);
            assertThat(streaks.getFirst().message())
                    .startsWith(starts + " replicas failed in a row since " + asked.plusMillis(200))
                    .contains("first: replica app-0 " + EXIT_3 + "; last output: loading /models/m.bin | model file missing")
                    .contains("; last (");
            assertThat(engine.journal()).filteredOn(entry -> entry.kind() == JournalEntry.Kind.ALERT).hasSize(1);
            assertThat(engine.journal()).noneMatch(entry -> entry.kind() == JournalEntry.Kind.ACTUATION_FAILED);
            assertThat(engine.failedHeld).as("no 504 after a wake timeout").isEmpty();
        }
    }

    @Test
    void onceTheCauseIsFixedTheNextRequestAfterTheBackoffWakesTheTargetAndResetsTheBackoff() {
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofMillis(200))) {
            engine.orchestrator.failStarts(engine.ref, EXIT_3, OUTPUT);
            engine.holdRequest();
            engine.advance(Duration.ofMillis(1400));
            assertThat(engine.refused).hasSize(1);
            Instant nextAttempt = engine.status().startFailures().nextAttemptAt();

            engine.orchestrator.failStarts(engine.ref, null, List.of()); // the model file appears
            engine.holdRequest();
            assertThat(engine.refused).as("still within the backoff").hasSize(2);
            engine.advance(Duration.between(engine.time.clock().instant(), nextAttempt));
            engine.holdRequest();
            assertThat(engine.state()).isEqualTo("WAKING");
            engine.advance(Duration.ofMillis(200));

            assertThat(engine.state()).isEqualTo("ACTIVE");
            assertThat(engine.route().endpoints()).hasSize(1);
            assertThat(engine.route().refusal()).isNull();
            assertThat(engine.status().startFailures()).isNull();
            assertThat(engine.journal()).filteredOn(entry -> entry.kind() == JournalEntry.Kind.START_FAILURES)
                    .singleElement()
                    .satisfies(entry -> assertThat(entry.message()).startsWith("2 replicas failed in a row")
                            .endsWith("; ended: a replica became ready; backoff reset"));

            // Reset: the next failure starts a new streak with the first, shortest backoff.
            engine.orchestrator.failStarts(engine.ref, "exited with status 1", List.of());
            engine.releaseHeld();
            engine.orchestrator.stopBehindOurBack(engine.ref);
            engine.advance(Duration.ofMillis(1));
            engine.advance(Duration.ofMillis(200));
            FailureStreak fresh = engine.status().startFailures();
            assertThat(fresh.failuresInARow()).isEqualTo(1);
            assertThat(Duration.between(fresh.lastAt(), fresh.nextAttemptAt())).isEqualTo(Duration.ofSeconds(1));
        }
    }

    @Test
    void aTargetThatOnlyStartsSlowlyIsNotTreatedAsFailing() {
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofSeconds(90))) {
            engine.holdRequest();
            engine.advance(Duration.ofSeconds(89));
            assertThat(engine.state()).isEqualTo("WAKING");
            assertThat(engine.held()).isEqualTo(1);
            engine.advance(Duration.ofSeconds(1));

            assertThat(engine.state()).isEqualTo("ACTIVE");
            assertThat(engine.refused).isEmpty();
            assertThat(engine.failedHeld).isEmpty();
            assertThat(engine.status().startFailures()).isNull();
            assertThat(engine.orchestrator.starts(engine.ref)).isEqualTo(1);
            assertThat(engine.journal()).noneMatch(entry -> entry.kind() == JournalEntry.Kind.START_FAILURES
                    || entry.kind() == JournalEntry.Kind.ALERT);
        }
    }

    @Test
    void aReplicaKeptUpByMinimumReplicasIsRestartedWithBackoffEvenWithoutRequests() {
        String minOne = TARGET.replace("min: 0", "min: 1") + "  start-failures: { backoff: 2s, max-backoff: 20s, give-up-after: 3 }\n";
        try (EngineHarness engine = new EngineHarness(minOne, Duration.ofMillis(500))) {
            engine.orchestrator.failStarts(engine.ref, "was killed for exceeding its memory limit (OOM)", List.of());
            engine.advance(Duration.ofMinutes(2));
            // 2 s, 4 s, 8 s, 16 s, then every 20 s: about 10 starts in two minutes, not hundreds.
            assertThat(engine.orchestrator.starts(engine.ref)).isBetween(8, 11);
            FailureStreak streak = engine.status().startFailures();
            assertThat(streak.lastReason()).contains("OOM");
            Duration lastGap = Duration.between(streak.lastAt(), streak.nextAttemptAt());
            assertThat(lastGap).isEqualTo(Duration.ofSeconds(20));
        }
    }

    @Test
    void aFollowerNeverRestartsAFailingReplicaAndSendsNoAlert() {
        ActuationQueueTest.TestLeadership leadership = new ActuationQueueTest.TestLeadership(false);
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofMillis(200), 0, leadership)) {
            engine.orchestrator.failStarts(engine.ref, EXIT_3, OUTPUT);
            engine.holdRequest();
            assertThat(engine.orchestrator.calls()).filteredOn(call -> !call.startsWith("observe "))
                    .as("a follower's only write: one conditional wake").containsExactly("wakeIfZero app");

            engine.advance(Duration.ofMillis(200));
            assertThat(engine.status().startFailures().failuresInARow()).isEqualTo(1);
            engine.advance(Duration.ofMillis(999));
            assertThat(engine.orchestrator.starts(engine.ref)).as("no conditional wake during the 1 s backoff").isEqualTo(1);

            engine.advance(Duration.ofSeconds(2));
            assertThat(engine.orchestrator.starts(engine.ref)).as("one wake after the backoff, then it gives up").isEqualTo(2);
            assertThat(engine.refused).singleElement().asString().contains("2 failed starts in a row");
            engine.advance(Duration.ofMinutes(1));

            assertThat(engine.orchestrator.calls()).filteredOn(call -> !call.startsWith("observe "))
                    .as("never a scale: restarts are the leader's").allMatch(call -> call.equals("wakeIfZero app"));
            assertThat(engine.journal()).filteredOn(entry -> entry.kind() == JournalEntry.Kind.ALERT).singleElement()
                    .satisfies(entry -> assertThat(entry.message()).endsWith("(not sent: not the leader)"));
            assertThat(engine.journal()).filteredOn(entry -> entry.kind() == JournalEntry.Kind.START_FAILURES).hasSize(1);
        }
    }
}
