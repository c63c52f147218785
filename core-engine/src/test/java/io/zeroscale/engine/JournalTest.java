package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.traffic.Routing;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A failure streak's entry is updated where it stands; an entry that left the ring comes back as the newest. */
class JournalTest {
    private static final TargetRef APP = TargetRef.of("local", "Process", "app");

    private static JournalEntry entry(String message) {
        return new JournalEntry(Instant.EPOCH, APP, JournalEntry.Kind.DECISION, "ZERO", 0, Routing.HOLD, message);
    }

    @Test
    void updateReplacesTheEntryInPlaceAndListenersSeeOnlyAppends() {
        Journal journal = new Journal(10);
        List<String> heard = new ArrayList<>();
        journal.subscribe(e -> heard.add(e.message()));
        JournalEntry streak = entry("1 replica failed");
        journal.append(entry("a"));
        journal.append(streak);
        journal.append(entry("b"));

        journal.update(streak, entry("3 replicas failed in a row"));

        assertThat(journal.recent(10)).extracting(JournalEntry::message).containsExactly("a", "3 replicas failed in a row", "b");
        assertThat(heard).containsExactly("a", "1 replica failed", "b");
    }

    @Test
    void anEvictedEntryIsAppendedAgain() {
        Journal journal = new Journal(2);
        JournalEntry streak = entry("1 replica failed");
        journal.append(streak);
        journal.append(entry("a"));
        journal.append(entry("b"));

        journal.update(streak, entry("2 replicas failed in a row"));

        assertThat(journal.recent(10)).extracting(JournalEntry::message).containsExactly("b", "2 replicas failed in a row");
    }
}
