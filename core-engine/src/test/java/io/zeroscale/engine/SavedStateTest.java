package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.engine.state.FileStateStore;
import io.zeroscale.spi.Leadership;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Operator state and the journal survive a restart of the engine, through the file store. */
class SavedStateTest {
    private static final String TARGET = EngineHarness.ZERO_TO_N;

    @TempDir
    Path directory;

    private EngineHarness engine(int running) {
        return new EngineHarness(TARGET, Duration.ofSeconds(5), running, Leadership.always(),
                builder -> builder.stateStore(new FileStateStore(directory, Clock.systemUTC())));
    }

    @Test
    void restartKeepsTheOverrideThePauseAndTheJournal() {
        Instant until;
        try (EngineHarness first = engine(0)) {
            first.zeroscale.engine().setOverride("app", 2, Duration.ofHours(1), "alice");
            first.advance(Duration.ofSeconds(10));
            assertThat(first.status().readyReplicas()).isEqualTo(2);
            first.zeroscale.engine().setAutomationPaused("app", true, "bob");
            first.advance(Duration.ofSeconds(2));
            until = first.status().overrideUntil();
            assertThat(until).isNotNull();
        }
        assertThat(directory.resolve("targets/app.json")).exists();
        assertThat(directory.resolve("journal.json")).exists();

        try (EngineHarness second = engine(2)) {
            second.advance(Duration.ofSeconds(10));
            TargetStatus status = second.status();
            assertThat(status.automationPaused()).as("pause kept").isTrue();
            assertThat(status.overrideReplicas()).as("override kept").isEqualTo(2);
            assertThat(status.overrideUntil()).isEqualTo(until);
            assertThat(second.journal()).extracting(JournalEntry::message)
                    .as("entries from before the restart")
                    .anyMatch(message -> message.equals("manual override to 2 replicas by alice for 1h"))
                    .anyMatch(message -> message.equals("automation paused by bob"))
                    .anyMatch(message -> message.startsWith("restored from " + directory.resolve("targets/app.json")
                            + ": automation paused, manual override to 2 replicas until " + until));
            assertThat(second.orchestrator.scaleCalls()).as("nothing scaled down after the restart").doesNotContain(0, 1);
            assertThat(second.status().readyReplicas()).isEqualTo(2);

            // Cleared by hand: nothing is left to restore.
            second.zeroscale.engine().setOverride("app", null, null, "alice");
            second.zeroscale.engine().setAutomationPaused("app", false, "bob");
            second.advance(Duration.ofSeconds(2));
            assertThat(directory.resolve("targets/app.json")).doesNotExist();
        }
    }

    @Test
    void aFollowerThatGainsLeadershipTakesOverTheOverrideAndPauseThePreviousLeaderSet() {
        ActuationQueueTest.TestLeadership role = new ActuationQueueTest.TestLeadership(false);
        try (EngineHarness follower = new EngineHarness(TARGET, Duration.ofSeconds(5), 1, role,
                builder -> builder.stateStore(new FileStateStore(directory, Clock.systemUTC())))) {
            follower.advance(Duration.ofSeconds(10));
            // Set on the leader after the follower started (and read the store).
            try (EngineHarness leader = engine(1)) {
                leader.zeroscale.engine().setOverride("app", 3, Duration.ofHours(1), "alice");
                leader.zeroscale.engine().setAutomationPaused("app", true, "bob");
                leader.advance(Duration.ofSeconds(2));
            }
            assertThat(directory.resolve("targets/app.json")).exists();

            role.set(true); // the leader is gone
            follower.advance(Duration.ofSeconds(5));

            TargetStatus status = follower.status();
            assertThat(status.automationPaused()).as("pause taken over").isTrue();
            assertThat(status.overrideReplicas()).as("override taken over").isEqualTo(3);
            assertThat(follower.journal()).extracting(JournalEntry::message).anyMatch(message -> message.startsWith(
                    "taken over from the previous leader through " + directory.resolve("targets/app.json")
                            + ": automation paused, manual override to 3 replicas until "));
            // (This harness's backend is its own, at 1: on a shared one the old leader had made it 3.)
            assertThat(follower.orchestrator.scaleCalls()).as("the override in force on the new leader").containsExactly(3);
        }
    }

    @Test
    void anOverrideThatExpiredWhileStoppedEndsOnTheFirstTick() {
        try (EngineHarness first = engine(0)) {
            first.zeroscale.engine().setOverride("app", 1, Duration.ofSeconds(30), "alice");
            first.advance(Duration.ofSeconds(10));
        }
        try (EngineHarness second = engine(1)) {
            // The harness's clock starts at the same instant again: the override still holds for ~20 s.
            assertThat(second.status().overrideReplicas()).isEqualTo(1);
            second.advance(Duration.ofSeconds(40));
            assertThat(second.status().overrideReplicas()).isNull();
            assertThat(second.journal()).extracting(JournalEntry::message).contains("manual override expired");
        }
        assertThat(directory.resolve("targets/app.json")).doesNotExist();
    }

    @Test
    void aCorruptOperatorStateIsSetAsideAndTheTargetRunsOnWithoutScalingDown() throws IOException {
        Path file = directory.resolve("targets/app.json");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "{\"version\": 1, \"automationPaused\": \"maybe\"", StandardCharsets.UTF_8);

        try (EngineHarness engine = engine(2)) {
            engine.advance(Duration.ofSeconds(10));

            assertThat(file).doesNotExist();
            List<Path> aside = setAside(directory.resolve("targets"), "app.json.corrupt-");
            assertThat(aside).hasSize(1);
            assertThat(engine.journal()).filteredOn(entry -> entry.kind() == JournalEntry.Kind.STATE)
                    .extracting(JournalEntry::message)
                    .singleElement().asString()
                    .contains(file.toString(), aside.getFirst().toString(), "starting without a saved pause or override");
            TargetStatus status = engine.status();
            assertThat(status.started()).isTrue();
            assertThat(status.automationPaused()).isFalse();
            assertThat(status.overrideReplicas()).isNull();
            assertThat(status.readyReplicas()).isEqualTo(2);
            assertThat(engine.orchestrator.scaleCalls()).as("never scaled down because of it").doesNotContain(0, 1);
            assertThat(engine.state()).isEqualTo("ACTIVE");
        }
    }

    @Test
    void aCorruptJournalIsSetAsideAndEveryTargetSaysSo() throws IOException {
        Path file = directory.resolve("journal.json");
        Files.createDirectories(directory);
        Files.writeString(file, "not json at all", StandardCharsets.UTF_8);

        try (EngineHarness engine = engine(1)) {
            engine.advance(Duration.ofSeconds(5));
            List<Path> aside = setAside(directory, "journal.json.corrupt-");
            assertThat(aside).hasSize(1);
            assertThat(engine.journal()).filteredOn(entry -> entry.kind() == JournalEntry.Kind.STATE)
                    .extracting(JournalEntry::message)
                    .singleElement().asString()
                    .contains(file.toString(), aside.getFirst().toString(), "entries from before this start are not shown");
            assertThat(engine.status().readyReplicas()).isEqualTo(1);
            assertThat(engine.orchestrator.scaleCalls()).doesNotContain(0);
        }
        // Written anew on close, readable again.
        assertThat(SavedState.parseJournal(Files.readAllBytes(file))).isNotEmpty();
    }

    @Test
    void theSavedJournalIsBoundedToTheNewestEntries() throws IOException {
        int toggles = SavedState.JOURNAL_KEPT + 200;
        try (EngineHarness first = engine(1)) {
            for (int i = 0; i < toggles; i++) {
                first.zeroscale.engine().setAutomationPaused("app", i % 2 == 0, "toggle " + i);
            }
            first.advance(Duration.ofSeconds(2));
        }
        List<JournalEntry> saved = SavedState.parseJournal(Files.readAllBytes(directory.resolve("journal.json")));
        assertThat(saved).hasSize(SavedState.JOURNAL_KEPT);
        assertThat(saved.getLast().message()).isEqualTo("automation resumed by toggle " + (toggles - 1));
        assertThat(saved.getFirst().message()).isEqualTo("automation paused by toggle " + (toggles - SavedState.JOURNAL_KEPT));

        try (EngineHarness second = engine(1)) {
            List<JournalEntry> journal = second.zeroscale.journal().recent(100_000);
            assertThat(journal.subList(0, SavedState.JOURNAL_KEPT)).as("the saved entries, first").isEqualTo(saved);
            assertThat(journal.size()).as("and this start's after them").isGreaterThan(SavedState.JOURNAL_KEPT);
        }
    }

    private static List<Path> setAside(Path directory, String prefix) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(path -> path.getFileName().toString().startsWith(prefix)).toList();
        }
    }
}
