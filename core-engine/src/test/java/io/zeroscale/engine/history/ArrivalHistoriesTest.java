package io.zeroscale.engine.history;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.engine.time.VirtualScheduler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArrivalHistoriesTest {
    private final VirtualScheduler time = new VirtualScheduler(Instant.parse("2026-01-05T09:00:00Z"));
    private final List<String> problems = new ArrayList<>();

    @TempDir
    Path directory;

    private ArrivalHistories histories() {
        return new ArrivalHistories(directory, time, Runnable::run, (target, message) -> problems.add(target + ": " + message));
    }

    @Test
    void historySurvivesARestart() {
        try (ArrivalHistories first = histories()) {
            first.start();
            ArrivalHistory history = first.open("web");
            history.record(time.now(), 2);
            time.advance(Duration.ofMinutes(15));
            history.record(time.now(), 1);
        }

        try (ArrivalHistories second = histories()) {
            ArrivalHistory history = second.open("web");
            assertThat(history.arrivals()).isEqualTo(3);
            assertThat(history.idleTimes().count(15)).isEqualTo(1);
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void writesOnceAMinuteWhenSomethingChangedAndLeavesNoTemporaryFile() throws IOException {
        try (ArrivalHistories store = histories()) {
            store.start();
            store.open("web").record(time.now(), 1);
            Path file = store.file("web");
            assertThat(file).isNotNull().doesNotExist();

            time.advance(Duration.ofMinutes(1));

            assertThat(file).exists();
            assertThat(Files.readString(file)).isEqualTo("time,requests\n2026-01-05T09:00:00Z,1\n");
            try (Stream<Path> files = Files.list(directory)) {
                assertThat(files.map(path -> path.getFileName().toString())).containsExactly("web.csv");
            }
        }
    }

    @Test
    void aCorruptFileIsSetAsideAndReportedNeverSilentlyDropped() throws IOException {
        Files.writeString(directory.resolve("web.csv"), "time,requests\n2026-01-05T08:00:00Z,banana\n");

        try (ArrivalHistories store = histories()) {
            ArrivalHistory history = store.open("web");

            assertThat(history.arrivals()).isZero();
            Path aside = directory.resolve("web.csv.corrupt-" + time.now().toEpochMilli());
            assertThat(aside).exists().content().contains("banana");
            assertThat(directory.resolve("web.csv")).doesNotExist();
            assertThat(problems).singleElement().asString()
                    .contains("web: arrival history " + directory.resolve("web.csv"))
                    .contains("line 2")
                    .contains("set aside as " + aside);
        }
    }

    @Test
    void aReleasedTargetKeepsItsFileAndFindsItsHistoryWhenAddedBack() {
        try (ArrivalHistories store = histories()) {
            store.open("web").record(time.now(), 4);
            store.release("web");
            assertThat(store.get("web")).isNull();
            assertThat(store.open("web").arrivals()).isEqualTo(4);
        }
    }

    @Test
    void targetNamesAreSafeFileNames() {
        try (ArrivalHistories store = histories()) {
            Path file = store.file("../etc/passwd");
            assertThat(file).isNotNull();
            assertThat(file.getParent()).isEqualTo(directory);
        }
    }

    @Test
    void inMemoryHistoriesWriteNothing() throws IOException {
        try (ArrivalHistories store = ArrivalHistories.inMemory(time)) {
            store.start();
            store.open("web").record(time.now(), 1);
            time.advance(Duration.ofMinutes(5));
            assertThat(store.file("web")).isNull();
        }
        try (Stream<Path> files = Files.list(directory)) {
            assertThat(files).isEmpty();
        }
    }
}
