package io.zeroscale.engine.history;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.engine.state.FileStateStore;
import io.zeroscale.engine.state.MemoryStateStore;
import io.zeroscale.engine.time.VirtualScheduler;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.state.StateStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArrivalHistoriesTest {
    private final VirtualScheduler time = new VirtualScheduler(Instant.parse("2026-01-05T09:00:00Z"));
    private final List<String> problems = new ArrayList<>();

    @TempDir
    Path directory;

    private FileStateStore store() {
        return new FileStateStore(directory.resolve("state"), time.clock());
    }

    private ArrivalHistories histories(StateStore store) {
        return new ArrivalHistories(store, directory.resolve("legacy"), time, Runnable::run,
                (target, message) -> problems.add(target + ": " + message));
    }

    private static MemoryStateStore memory(String... keysAndDocuments) {
        MemoryStateStore memory = new MemoryStateStore();
        for (int i = 0; i < keysAndDocuments.length; i += 2) {
            memory.write(keysAndDocuments[i], keysAndDocuments[i + 1].getBytes(StandardCharsets.UTF_8));
        }
        return memory;
    }

    private Path day(String target, String day) {
        return directory.resolve("state").resolve("history").resolve(target).resolve(day + ".csv");
    }

    @Test
    void historySurvivesARestartThroughTheStore() {
        try (ArrivalHistories first = histories(store())) {
            first.start();
            ArrivalHistory history = first.open("web");
            history.record(time.now(), 2);
            time.advance(Duration.ofMinutes(15));
            history.record(time.now(), 1);
        }

        try (ArrivalHistories second = histories(store())) {
            ArrivalHistory history = second.open("web");
            assertThat(history.arrivals()).isEqualTo(3);
            assertThat(history.idleTimes().count(15)).isEqualTo(1);
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void writesOnceAMinuteOnlyTheDaysThatChangedAndLeavesNoTemporaryFile() throws IOException {
        MemoryStateStore memory = new MemoryStateStore();
        InstrumentedStore counting = new InstrumentedStore(memory);
        AtomicInteger writes = counting.writes;
        try (ArrivalHistories store = histories(counting)) {
            store.start();
            ArrivalHistory history = store.open("web");
            history.record(Instant.parse("2026-01-04T23:59:00Z"), 1);
            history.record(time.now(), 1);
            assertThat(writes).as("nothing written on the recording thread").hasValue(0);

            time.advance(Duration.ofMinutes(1));
            assertThat(writes).as("both days, in one flush").hasValue(2);
            assertThat(new String(memory.read("history/web/2026-01-05.csv").orElseThrow(), StandardCharsets.UTF_8))
                    .isEqualTo("time,requests\n2026-01-05T09:00:00Z,1\n");

            history.record(time.now(), 3);
            history.record(time.now(), 1);
            time.advance(Duration.ofMinutes(1));
            assertThat(writes).as("only today's document again, once for two records").hasValue(3);
            time.advance(Duration.ofMinutes(5));
            assertThat(writes).as("nothing changed: nothing written").hasValue(3);
        }
        try (ArrivalHistories store = histories(store())) {
            store.open("files").record(time.now(), 1);
            store.flush();
            assertThat(day("files", "2026-01-05")).content().isEqualTo("time,requests\n2026-01-05T09:07:00Z,1\n");
            try (Stream<Path> files = Files.list(day("files", "2026-01-05").getParent())) {
                assertThat(files.map(path -> path.getFileName().toString())).containsExactly("2026-01-05.csv");
            }
        }
    }

    @Test
    void boundedDaysOlderThanTheRetentionAreDeleted() {
        MemoryStateStore memory = memory("history/web/2025-12-01.csv", "time,requests\n2025-12-01T10:00:00Z,5\n",
                "history/web/2026-01-04.csv", "time,requests\n2026-01-04T10:00:00Z,1\n");
        try (ArrivalHistories store = histories(memory)) {
            ArrivalHistory history = store.open("web");
            assertThat(history.arrivals()).as("the day older than 15 days is not kept").isEqualTo(1);
            store.flush();
        }
        assertThat(memory.keys("history/")).containsExactly("history/web/2026-01-04.csv");
        assertThat(ArrivalHistory.RETENTION).isGreaterThanOrEqualTo(Duration.ofDays(14));
    }

    @Test
    void aCorruptDocumentIsSetAsideAndReportedNeverSilentlyDropped() throws IOException {
        Files.createDirectories(day("web", "2026-01-04").getParent());
        Files.writeString(day("web", "2026-01-04"), "time,requests\n2026-01-04T08:00:00Z,banana\n");
        Files.writeString(day("web", "2026-01-05"), "time,requests\n2026-01-05T08:00:00Z,2\n");

        try (ArrivalHistories store = histories(store())) {
            ArrivalHistory history = store.open("web");

            assertThat(history.arrivals()).as("the readable day is kept").isEqualTo(2);
            Path aside = day("web", "2026-01-04").resolveSibling("2026-01-04.csv.corrupt-" + time.now().toEpochMilli());
            assertThat(aside).exists().content().contains("banana");
            assertThat(day("web", "2026-01-04")).doesNotExist();
            assertThat(problems).singleElement().asString()
                    .contains("web: arrival history " + day("web", "2026-01-04"))
                    .contains("line 2")
                    .contains("set aside as " + aside);
        }
    }

    @Test
    void aReleasedTargetKeepsItsDocumentsAndFindsItsHistoryWhenAddedBack() {
        MemoryStateStore memory = new MemoryStateStore();
        try (ArrivalHistories store = histories(memory)) {
            store.open("web").record(time.now(), 4);
            store.release("web");
            assertThat(store.get("web")).isNull();
            assertThat(memory.keys("history/web/")).hasSize(1);
            assertThat(store.open("web").arrivals()).isEqualTo(4);
        }
    }

    @Test
    void targetNamesAreSafeKeys() {
        MemoryStateStore memory = new MemoryStateStore();
        try (ArrivalHistories store = histories(memory)) {
            store.open("../etc/passwd").record(time.now(), 1);
            store.flush();
        }
        assertThat(memory.keys("history/")).containsExactly("history/..%2Fetc%2Fpasswd/2026-01-05.csv");
        assertThat(store().file("history/..%2Fetc%2Fpasswd/2026-01-05.csv")).startsWithRaw(directory.resolve("state").toAbsolutePath().normalize());
    }

    @Test
    void aFailedWriteIsKeptAndTriedAgainOnTheNextFlush() {
        MemoryStateStore memory = new MemoryStateStore();
        InstrumentedStore failing = new InstrumentedStore(memory);
        try (ArrivalHistories store = histories(failing)) {
            store.open("web").record(time.now(), 1);
            failing.failing = true;
            store.flush();
            assertThat(memory.keys("history/")).isEmpty();
            failing.failing = false;
            store.flush();
            assertThat(memory.keys("history/")).containsExactly("history/web/2026-01-05.csv");
        }
    }

    @Test
    void seriesShareTheStoreAndTheFlushAndACorruptOneIsSetAside() {
        MemoryStateStore memory = new MemoryStateStore();
        try (ArrivalHistories store = histories(memory)) {
            ArrivalHistories.Series series = store.series("dashboard");
            series.changed("web", () -> "[1]".getBytes(StandardCharsets.UTF_8));
            assertThat(memory.keys("series/")).as("written by the flush, not by the caller").isEmpty();
            store.flush();
            assertThat(series.load("web", document -> new String(document, StandardCharsets.UTF_8))).contains("[1]");

            memory.write("series/api/dashboard.json", "nonsense".getBytes(StandardCharsets.UTF_8)); // written after the flush above
            Optional<String> loaded = series.load("api", document -> {
                throw new IOException("not a list of points");
            });
            assertThat(loaded).isEmpty();
            assertThat(memory.setAside()).containsKey("memory:series/api/dashboard.json.corrupt");
            assertThat(problems).singleElement().asString().startsWith("api: series memory:series/api/dashboard.json could not be read"
                    + " (not a list of points); set aside as memory:series/api/dashboard.json.corrupt");
        }
    }

    @Test
    void aStoredHistoryDirectoryIsASeriesForSimulate() {
        try (ArrivalHistories store = histories(store())) {
            ArrivalHistory history = store.open("web");
            history.record(Instant.parse("2026-01-04T23:59:00Z"), 2);
            history.record(time.now(), 1);
            store.flush();
        }
        List<io.zeroscale.engine.Simulation.Row> rows = io.zeroscale.engine.Simulation.readSeries(day("web", "2026-01-05").getParent());
        assertThat(rows).extracting(row -> row.at().toString()).containsExactly("2026-01-04T23:59:00Z", "2026-01-05T09:00:00Z");
    }

    @Test
    void inMemoryHistoriesWriteNothing() throws IOException {
        try (ArrivalHistories store = ArrivalHistories.inMemory(time)) {
            store.start();
            store.open("web").record(time.now(), 1);
            time.advance(Duration.ofMinutes(5));
            assertThat(store.location("web")).isNull();
        }
        try (Stream<Path> files = Files.list(directory)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void oneTargetsHistoryGoesOutAsOneCsvAndComesBackDayByDay() throws IOException {
        MemoryStateStore memory = memory("history/web/2026-01-04.csv", "time,requests\n2026-01-04T23:59:00Z,2\n",
                "history/web/2026-01-05.csv", "time,requests\n2026-01-05T00:03:00Z,1\n",
                "history/api/2026-01-05.csv", "time,requests\n2026-01-05T08:00:00Z,7\n");
        ArrivalHistory out = ArrivalHistories.read(memory, "web").orElseThrow();
        assertThat(out.toCsv()).isEqualTo("time,requests\n2026-01-04T23:59:00Z,2\n2026-01-05T00:03:00Z,1\n");
        assertThat(ArrivalHistories.read(memory, "nobody")).isEmpty();

        // Into another target: each day of the file replaces that stored day; the others stay.
        MemoryStateStore other = memory("history/web/2026-01-05.csv", "time,requests\n2026-01-05T12:00:00Z,9\n",
                "history/web/2026-01-03.csv", "time,requests\n2026-01-03T12:00:00Z,4\n");
        assertThat(ArrivalHistories.importCsv(other, "web", new java.io.StringReader(out.toCsv()), "web.csv"))
                .containsExactly(java.time.LocalDate.parse("2026-01-04"), java.time.LocalDate.parse("2026-01-05"));
        assertThat(ArrivalHistories.read(other, "web").orElseThrow().toCsv())
                .isEqualTo("time,requests\n2026-01-03T12:00:00Z,4\n2026-01-04T23:59:00Z,2\n2026-01-05T00:03:00Z,1\n");

        // A bad file writes nothing, and says which line.
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ArrivalHistories.importCsv(other, "web",
                        new java.io.StringReader("time,requests\n2026-01-06T00:00:00Z,1\n2026-01-06T00:01:00Z,x\n"), "bad.csv"))
                .isInstanceOf(ZeroscaleException.class).hasMessageContaining("bad.csv line 3");
        assertThat(other.keys("history/web/")).hasSize(3);

        // Reading never sets aside: a corrupt day is an error naming it.
        memory.write("history/web/2026-01-05.csv", "time,requests\nbanana\n".getBytes(StandardCharsets.UTF_8));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ArrivalHistories.read(memory, "web"))
                .isInstanceOf(ZeroscaleException.class).hasMessageContaining("memory:history/web/2026-01-05.csv line 2");
        assertThat(memory.setAside()).isEmpty();
    }

    @Test
    void aFlushWritesSeveralDocumentsAtOnceButNoMoreThanItsBound() {
        MemoryStateStore memory = new MemoryStateStore();
        InstrumentedStore store = new InstrumentedStore(memory);
        // Each write waits (at most 5 s in all) until the bound is reached: one after the other, at most one is ever in flight.
        store.gather(ArrivalHistories.WRITERS, Duration.ofSeconds(5));
        try (ArrivalHistories histories = histories(store)) {
            ArrivalHistories.Series series = histories.series("dashboard");
            for (int i = 0; i < 3 * ArrivalHistories.WRITERS; i++) {
                series.changed("t" + i, () -> "[1]".getBytes(StandardCharsets.UTF_8));
            }
            histories.open("web").record(time.now(), 1);
            histories.flush();
        }
        assertThat(memory.keys("series/")).hasSize(3 * ArrivalHistories.WRITERS);
        assertThat(memory.keys("history/")).containsExactly("history/web/2026-01-05.csv");
        assertThat(store.maxInFlight.get()).isEqualTo(ArrivalHistories.WRITERS);
    }

    /**
     * A store that counts writes, as a store reached over the network would feel them, and refuses
     * them while {@link #failing}, as an unreachable store does.
     */
    private static final class InstrumentedStore implements StateStore {
        private final StateStore delegate;
        final AtomicInteger writes = new AtomicInteger();
        final AtomicInteger maxInFlight = new AtomicInteger();
        volatile boolean failing;
        private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
        private final java.util.concurrent.locks.Condition changed = lock.newCondition();
        private int inFlight;
        private int gather; // guarded by lock, as inFlight
        private long gatherUntil;

        /** From now on each write waits until {@code count} are in flight, or until {@code bound} from now has passed. */
        void gather(int count, Duration bound) {
            lock.lock();
            try {
                gather = count;
                gatherUntil = System.nanoTime() + bound.toNanos();
            } finally {
                lock.unlock();
            }
        }

        InstrumentedStore(StateStore delegate) {
            this.delegate = delegate;
        }

        @Override
        public Optional<byte[]> read(String key) {
            return delegate.read(key);
        }

        @Override
        public void write(String key, byte[] document) {
            if (failing) {
                throw new ZeroscaleException(StandardErrorCode.STATE_STORE_UNAVAILABLE, "the store is down");
            }
            writes.incrementAndGet();
            lock.lock();
            try {
                inFlight++;
                maxInFlight.accumulateAndGet(inFlight, Math::max);
                if (inFlight >= gather) {
                    gather = 0; // reached once: the rest go through
                }
                changed.signalAll();
                long left = gatherUntil - System.nanoTime();
                while (inFlight < gather && left > 0) {
                    left = changed.awaitNanos(left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                lock.unlock();
            }
            try {
                delegate.write(key, document);
            } finally {
                lock.lock();
                try {
                    inFlight--;
                } finally {
                    lock.unlock();
                }
            }
        }

        @Override
        public void delete(String key) {
            delegate.delete(key);
        }

        @Override
        public List<String> keys(String prefix) {
            return delegate.keys(prefix);
        }

        @Override
        public String setAside(String key, String reason) {
            return delegate.setAside(key, reason);
        }

        @Override
        public String location(String key) {
            return delegate.location(key);
        }
    }
}
