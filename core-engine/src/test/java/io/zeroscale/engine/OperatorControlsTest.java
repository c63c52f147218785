package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What an operator sets on a target: journalled, saved on each change, expired, restored and handed over. */
class OperatorControlsTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private final List<String> journal = new ArrayList<>();
    private final List<SavedState.Operator> saved = new ArrayList<>();
    private final OperatorControls controls = new OperatorControls(new OperatorControls.Target() {
        @Override
        public void journal(JournalEntry.Kind kind, String message) {
            journal.add(kind + ": " + message);
        }

        @Override
        public void save(SavedState.Operator operator) {
            saved.add(operator);
        }
    });

    @Test
    void pauseAndResumeAreJournalledAndSavedAndOnlyAResumeOfAPausedTargetHandsAutomationBack() {
        assertThat(controls.pause(false, "alice")).as("not paused before: nothing handed back").isFalse();
        assertThat(controls.pause(true, "alice")).isFalse();
        assertThat(controls.automationPaused()).isTrue();
        assertThat(controls.pause(false, "bob")).as("hands back on").isTrue();

        assertThat(journal).containsExactly("OPERATOR: automation resumed by alice", "OPERATOR: automation paused by alice",
                "OPERATOR: automation resumed by bob");
        assertThat(saved).containsExactly(SavedState.Operator.NONE, new SavedState.Operator(true, null, null),
                SavedState.Operator.NONE);
    }

    @Test
    void anOverrideWithAnExpiryEndsAtItsTimeAndTheEndIsSaved() {
        controls.override(3, Duration.ofMinutes(10), "alice", T0);
        assertThat(controls.overrideReplicas()).isEqualTo(3);
        assertThat(controls.overrideUntil()).isEqualTo(T0.plus(Duration.ofMinutes(10)));

        controls.expire(T0.plus(Duration.ofMinutes(9)));
        assertThat(controls.overrideReplicas()).as("not yet").isEqualTo(3);
        controls.expire(T0.plus(Duration.ofMinutes(10)));
        assertThat(controls.overrideReplicas()).isNull();
        assertThat(controls.overrideUntil()).isNull();
        controls.expire(T0.plus(Duration.ofMinutes(11)));

        assertThat(journal).containsExactly("OPERATOR: manual override to 3 replicas by alice for 10m",
                "OPERATOR: manual override expired");
        assertThat(saved).containsExactly(new SavedState.Operator(false, 3, T0.plus(Duration.ofMinutes(10))),
                SavedState.Operator.NONE);
    }

    @Test
    void anOverrideWithoutExpiryHoldsAndClearingItIsJournalled() {
        controls.override(2, null, "alice", T0);
        controls.expire(T0.plus(Duration.ofDays(365)));
        assertThat(controls.overrideReplicas()).isEqualTo(2);
        assertThat(controls.overrideUntil()).isNull();
        controls.override(null, Duration.ofMinutes(5), "bob", T0);
        assertThat(controls.current()).isEqualTo(SavedState.Operator.NONE);
        assertThat(journal).containsExactly("OPERATOR: manual override to 2 replicas by alice",
                "OPERATOR: manual override cleared by bob");
    }

    @Test
    void aRestoreTakesOverWhatWasSavedAndSaysWhereFromButSavesNothing() {
        SavedState.Operator operator = new SavedState.Operator(true, 4, T0);
        assertThat(controls.restore(new SavedState.Loaded(operator, null, "/data/targets/app.json"))).isTrue();
        assertThat(controls.current()).isEqualTo(operator);
        assertThat(journal).containsExactly(
                "STATE: restored from /data/targets/app.json: automation paused, manual override to 4 replicas until " + T0);
        assertThat(saved).as("it is what the store holds already").isEmpty();
    }

    @Test
    void aSetAsideDocumentIsJournalledAndNothingIsTakenOver() {
        assertThat(controls.restore(new SavedState.Loaded(null, "targets/app.json set aside: not JSON", "/data"))).isFalse();
        assertThat(controls.restore(new SavedState.Loaded(SavedState.Operator.NONE, null, "/data"))).isFalse();
        assertThat(controls.current()).isEqualTo(SavedState.Operator.NONE);
        assertThat(journal).containsExactly("STATE: targets/app.json set aside: not JSON");
    }

    @Test
    void aPredecessorsControlsAreTakenOverSilently() {
        controls.takeOver(new SavedState.Operator(true, null, T0));
        assertThat(controls.automationPaused()).isTrue();
        assertThat(controls.overrideUntil()).as("no override, so no expiry").isNull();
        assertThat(journal).isEmpty();
        assertThat(saved).isEmpty();
    }
}
