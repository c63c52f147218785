package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.engine.history.PlannedPrewake;
import io.zeroscale.engine.state.FileStateStore;
import io.zeroscale.engine.state.MemoryStateStore;
import io.zeroscale.spi.Leadership;
import io.zeroscale.spi.traffic.Routing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The adaptive keep-alive and pre-wake through the whole engine on virtual time: a timer-like
 * target is woken before its next request, which is then served without waiting.
 */
class AdaptiveEngineTest {
    private static final String TARGET = """
            orchestrator: fake
            workload: { kind: Process }
            policy:
              automaton: adaptive
              idle: 10m
              wake-timeout: 3m
              drain-timeout: 30s
              replicas: { min: 0, max: 2 }
              adaptive: { min-samples: 5 }
            """;
    private static final Duration STARTUP = Duration.ofSeconds(20);

    @TempDir
    Path dataDirectory;

    private EngineHarness engine() {
        return new EngineHarness(TARGET, STARTUP, 0, Leadership.always(), this::onDisk);
    }

    /** The daemon's default: the state store is files under {@code <data-dir>/state}. */
    private Zeroscale.Builder onDisk(Zeroscale.Builder builder) {
        return builder.dataDirectory(dataDirectory).persistentArrivalHistory(true)
                .stateStore(new FileStateStore(dataDirectory.resolve("state"), java.time.InstantSource.fixed(Instant.EPOCH)));
    }

    /** Writes {@code csv} as the stored history of the target {@code app}, one document per UTC day, as the engine keeps it. */
    private void storeHistory(String csv) throws IOException {
        java.util.SortedMap<String, StringBuilder> days = new java.util.TreeMap<>();
        csv.lines().skip(1).forEach(row -> days.computeIfAbsent(row.substring(0, 10), day -> new StringBuilder("time,requests\n"))
                .append(row).append('\n'));
        Path directory = dataDirectory.resolve("state").resolve("history").resolve("app");
        Files.createDirectories(directory);
        for (var day : days.entrySet()) {
            Files.writeString(directory.resolve(day.getKey() + ".csv"), day.getValue());
        }
    }

    /** One request of one second; true when it had to wait for a wake (a cold start). */
    private static boolean request(EngineHarness engine) {
        if (engine.route().routing() == Routing.FORWARD && !engine.route().endpoints().isEmpty()) {
            engine.startRequest();
            engine.advance(Duration.ofSeconds(1));
            engine.finishRequest();
            return false;
        }
        engine.holdRequest();
        for (int i = 0; i < 120 && engine.route().routing() != Routing.FORWARD; i++) {
            engine.advance(Duration.ofSeconds(1));
        }
        assertThat(engine.route().routing()).as("woken for the held request").isEqualTo(Routing.FORWARD);
        engine.releaseHeld();
        engine.advance(Duration.ofSeconds(1));
        engine.finishRequest();
        return true;
    }

    @Test
    void learnsATimerAndWakesTheTargetBeforeItsNextRequest() {
        try (EngineHarness engine = engine()) {
            Instant first = engine.time.now();
            int cold = 0;
            for (int i = 0; i < 6; i++) {
                advanceTo(engine, first.plus(Duration.ofMinutes(15L * i)));
                cold += request(engine) ? 1 : 0;
            }
            // With the fixed idle of 10 minutes every request of a 15-minute timer waits for a wake,
            // and the journal says why the idle time was fixed.
            assertThat(cold).isEqualTo(6);
            assertThat(engine.journal()).extracting(JournalEntry::message)
                    .anyMatch(message -> message.contains("idle for 10m (fixed idle (only 4 idle time(s) recorded, 5 needed to predict))"));

            // Five idle times of 15 minutes are enough: from now on the target is woken ahead of each
            // request and scaled to zero again once it is served.
            for (int i = 6; i < 10; i++) {
                Instant next = first.plus(Duration.ofMinutes(15L * i));
                advanceTo(engine, next.minusSeconds(1));
                assertThat(engine.state()).as("up before request %d", i).isEqualTo("ACTIVE");
                advanceTo(engine, next);
                assertThat(request(engine)).as("request %d waited for a wake", i).isFalse();
                engine.advance(Duration.ofMinutes(5));
                assertThat(engine.state()).as("down after request %d", i).isEqualTo("ZERO");
            }
            List<String> messages = engine.journal().stream().map(JournalEntry::message).toList();
            assertThat(messages).anyMatch(message -> message.matches(
                    "ZERO -> WAKING: waking: pre-wake: next request expected from \\S+Z \\(adaptive: idle times 15m-15m .*"));
            assertThat(messages).anyMatch(message -> message.contains("request done; the next is expected no sooner than"));
        }
    }

    private static void advanceTo(EngineHarness engine, Instant at) {
        engine.advance(Duration.between(engine.time.now(), at));
    }

    @Test
    void afterARestartTheStoredHistoryWakesTheTargetBeforeTheNextExpectedRequest() throws IOException {
        // A timer every 15 minutes for the past day, the last request 5 minutes before the daemon starts.
        Instant start = Instant.parse("2026-01-01T00:00:00Z");
        StringBuilder csv = new StringBuilder("time,requests\n");
        for (Instant at = start.minus(Duration.ofMinutes(5)).minus(Duration.ofDays(1)); !at.isAfter(start.minus(Duration.ofMinutes(5)));
                at = at.plus(Duration.ofMinutes(15))) {
            csv.append(at).append(",1\n");
        }
        storeHistory(csv.toString());

        try (EngineHarness engine = engine()) {
            assertThat(engine.state()).isEqualTo("ZERO");
            engine.advance(Duration.ofMinutes(10).minusSeconds(1));
            assertThat(engine.state()).as("woken before the expected request").isEqualTo("ACTIVE");
            assertThat(engine.orchestrator.scaleCalls()).containsExactly(1);
            engine.advance(Duration.ofSeconds(1));

            assertThat(request(engine)).as("the request waited for a wake").isFalse();
            assertThat(engine.journal()).extracting(JournalEntry::message).anyMatch(message -> message.startsWith(
                    "ZERO -> WAKING: waking: pre-wake: next request expected from 2026-01-01T00:07:36Z"));
        }
        // The day's history and the new request are in the store for the next restart; the day
        // before was not rewritten.
        Path stored = dataDirectory.resolve("state").resolve("history").resolve("app");
        assertThat(Files.readString(stored.resolve("2026-01-01.csv"))).contains("2026-01-01T00:10:00Z,1");
        assertThat(Files.readString(stored.resolve("2025-12-31.csv"))).isEqualTo(
                "time,requests\n" + csv.toString().lines().filter(row -> row.startsWith("2025-12-31")).map(row -> row + "\n")
                        .collect(java.util.stream.Collectors.joining()));
    }

    /** Writes a stored history with one request at {@code time} on each of the {@code days} days before 2026-01-01. */
    private void dailyHistory(int days, String time) throws IOException {
        StringBuilder csv = new StringBuilder("time,requests\n");
        for (int day = days; day >= 1; day--) {
            csv.append(Instant.parse("2026-01-01T" + time + ":00Z").minus(Duration.ofDays(day))).append(",1\n");
        }
        storeHistory(csv.toString());
    }

    @Test
    void aDailyHabitWakesTheTargetBeforeTheMorningsFirstRequest() throws IOException {
        // 08:03 on each of the three days before; one request a day is too few idle times for the
        // histogram, so the seasonal forecast decides. The daemon starts at midnight.
        dailyHistory(3, "08:03");
        try (EngineHarness engine = engine()) {
            assertThat(engine.time.now()).isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
            assertThat(engine.journal()).extracting(JournalEntry::message).anyMatch(message -> message.equals(
                    "started at zero; seasonal pre-wake at 2026-01-01T07:59:30Z: requests expected from 2026-01-01T08:00:00Z until "
                            + "2026-01-01T08:10:00Z (probability 0.80: 3 of 3 days; daily pattern from 2d16h of history (the weekly "
                            + "pattern needs 7d))"));
            assertThat(engine.zeroscale.engine().plannedPrewake("app")).get()
                    .satisfies(planned -> {
                        assertThat(planned.at()).isEqualTo(Instant.parse("2026-01-01T07:59:30Z"));
                        assertThat(planned.source()).isEqualTo("seasonal");
                        assertThat(planned.probability()).isEqualTo(0.8);
                    });

            advanceTo(engine, Instant.parse("2026-01-01T07:59:29Z"));
            assertThat(engine.state()).as("still down a wake-lead before").isEqualTo("ZERO");
            advanceTo(engine, Instant.parse("2026-01-01T08:00:00Z"));
            assertThat(engine.state()).as("up when the expected slot begins").isEqualTo("ACTIVE");
            assertThat(engine.zeroscale.engine().plannedPrewake("app")).isEmpty();

            advanceTo(engine, Instant.parse("2026-01-01T08:03:00Z"));
            assertThat(request(engine)).as("the morning's first request waited for a wake").isFalse();
            assertThat(engine.journal()).extracting(JournalEntry::message).anyMatch(message -> message.startsWith(
                    "ZERO -> WAKING: waking: pre-wake: seasonal forecast: requests expected from 2026-01-01T08:00:00Z until "
                            + "2026-01-01T08:10:00Z (probability 0.80: 3 of 3 days;"));

            // Served: the fixed idle time applies, and scaling to zero plans the next morning, now from four days.
            engine.advance(Duration.ofMinutes(12));
            assertThat(engine.state()).isEqualTo("ZERO");
            assertThat(engine.journal()).extracting(JournalEntry::message).anyMatch(message -> message.contains(
                    "; scaled to zero; seasonal pre-wake at 2026-01-02T07:59:30Z: requests expected from 2026-01-02T08:00:00Z until "
                            + "2026-01-02T08:10:00Z (probability 0.83: 4 of 4 days;"));
        }
    }

    @Test
    void aSeasonalPreWakeWithoutARequestEndsWithItsFirstSlot() throws IOException {
        dailyHistory(3, "08:03");
        try (EngineHarness engine = engine()) {
            advanceTo(engine, Instant.parse("2026-01-01T08:09:59Z"));
            assertThat(engine.state()).isEqualTo("ACTIVE");
            advanceTo(engine, Instant.parse("2026-01-01T08:11:00Z"));
            assertThat(engine.state()).as("down after the expected slot passed without a request").isEqualTo("ZERO");
            assertThat(engine.journal()).extracting(JournalEntry::message).anyMatch(message -> message.startsWith(
                    "ACTIVE -> DRAINING: no request by 2026-01-01T08:10:00Z, the end of the first slot the seasonal forecast expected "
                            + "requests in; draining"));
            // A morning without a request lowers the next mornings' probability (3 of 4 days: 0.67, below
            // 0.7); Monday still reaches it with the request of the Monday before: (1 + 2 * 0.67) / 3 = 0.78.
            assertThat(engine.zeroscale.engine().plannedPrewake("app")).get()
                    .satisfies(planned -> assertThat(planned.at()).isEqualTo(Instant.parse("2026-01-05T07:59:30Z")))
                    .satisfies(planned -> assertThat(planned.reason()).contains("(probability 0.78: 1 of 1 Mondays, 3 of 4 days;"));
        }
    }

    @Test
    void theForecastKeepsTheTargetUpThroughTheSlotsItExpectsRequestsIn() throws IOException {
        // Requests at 08:03, 08:13 and 08:23 on each of the three days before; a 1-minute idle time would
        // drop the target between them, and too few idle times for the histogram (min-samples 50).
        StringBuilder csv = new StringBuilder("time,requests\n");
        for (int day = 3; day >= 1; day--) {
            for (String time : new String[] {"08:03", "08:13", "08:23"}) {
                csv.append(Instant.parse("2026-01-01T" + time + ":00Z").minus(Duration.ofDays(day))).append(",1\n");
            }
        }
        storeHistory(csv.toString());
        String target = TARGET.replace("idle: 10m", "idle: 1m").replace("min-samples: 5", "min-samples: 50");
        try (EngineHarness engine = new EngineHarness(target, STARTUP, 0, Leadership.always(), this::onDisk)) {
            int cold = 0;
            for (String time : new String[] {"08:03", "08:13", "08:23"}) {
                advanceTo(engine, Instant.parse("2026-01-01T" + time + ":00Z"));
                cold += request(engine) ? 1 : 0;
            }
            assertThat(cold).as("requests that waited for a wake").isZero();
            advanceTo(engine, Instant.parse("2026-01-01T08:29:00Z"));
            assertThat(engine.state()).as("kept up through the last expected slot").isEqualTo("ACTIVE");
            advanceTo(engine, Instant.parse("2026-01-01T08:31:00Z"));
            assertThat(engine.state()).isEqualTo("ZERO");
            assertThat(engine.journal()).extracting(JournalEntry::message).anyMatch(message -> message.startsWith(
                    "ACTIVE -> DRAINING: idle for 1m (fixed idle (only 11 idle time(s) recorded, 50 needed to predict)); kept up by the "
                            + "seasonal forecast until 2026-01-01T08:30:00Z (the last slot it expected requests in: probability 0.80: "
                            + "3 of 3 days)"));
        }
    }

    @Test
    void lessThanADayOfHistoryPlansNoSeasonalPreWakeAndSaysWhy() throws IOException {
        storeHistory("time,requests\n2025-12-31T19:00:00Z,1\n");
        try (EngineHarness engine = engine()) {
            assertThat(engine.journal()).extracting(JournalEntry::message).contains(
                    "started at zero; no seasonal pre-wake (history too short: 5h of the 1d a daily pattern needs)");
            assertThat(engine.zeroscale.engine().plannedPrewake("app")).isEmpty();
        }
    }

    @Test
    void aGatewayJoiningWithALongCountIsNoBurstInTheHistory() {
        try (EngineHarness engine = engine()) {
            engine.advance(Duration.ofMinutes(1));
            EngineHarness.Gateway joining = engine.gateway("b");
            joining.arrivals = 5000; // counted before it ever reported this target
            joining.startRequest(); // its first report: 5001 arrivals, 1 in flight now
            engine.advance(Duration.ofMinutes(1));
            joining.finishRequest();
            joining.startRequest();

            io.zeroscale.engine.history.ArrivalHistory recorded = engine.zeroscale.engine().arrivalHistory("app").orElseThrow();
            assertThat(recorded.toCsv()).isEqualTo("time,requests\n2026-01-01T00:01:00Z,1\n2026-01-01T00:02:00Z,1\n");
        }
    }

    @Test
    void aCorruptHistoryIsSetAsideAndJournalledWithItsPathAndTheReadableDaysAreKept() throws IOException {
        storeHistory("time,requests\n2025-12-30T10:00:00Z,2\n2025-12-31T10:00:00Z,1\n");
        Path stored = dataDirectory.resolve("state").resolve("history").resolve("app");
        Files.writeString(stored.resolve("2025-12-31.csv"), "garbage\n");

        try (EngineHarness engine = engine()) {
            assertThat(engine.journal()).filteredOn(entry -> entry.kind() == JournalEntry.Kind.HISTORY)
                    .singleElement().extracting(JournalEntry::message).asString()
                    .contains(stored.resolve("2025-12-31.csv").toString())
                    .contains("line 1: expected the header 'time,requests'")
                    .contains("set aside as " + stored.resolve("2025-12-31.csv.corrupt-"));
            assertThat(engine.zeroscale.engine().arrivalHistory("app").orElseThrow().arrivals()).as("the readable day").isEqualTo(2);
        }
        try (var files = Files.list(stored)) {
            Path aside = files.filter(p -> p.getFileName().toString().startsWith("2025-12-31.csv.corrupt-")).findFirst().orElseThrow();
            assertThat(Files.readString(aside)).isEqualTo("garbage\n");
        }
        assertThat(stored.resolve("2025-12-31.csv")).doesNotExist();
    }

    @Test
    void theHistorySurvivesARestartThroughTheStateStore() {
        Instant start = EngineHarness.START;
        try (EngineHarness engine = engine()) {
            for (int i = 0; i < 3; i++) {
                advanceTo(engine, start.plus(Duration.ofMinutes(15L * i)));
                request(engine);
            }
        }
        assertThat(dataDirectory.resolve("state").resolve("history").resolve("app").resolve("2026-01-01.csv")).content()
                .isEqualTo("time,requests\n2026-01-01T00:00:00Z,1\n2026-01-01T00:15:00Z,1\n2026-01-01T00:30:00Z,1\n");

        try (EngineHarness engine = new EngineHarness(start.plus(Duration.ofHours(1)), TARGET, STARTUP, 0, Leadership.always(),
                this::onDisk)) {
            io.zeroscale.engine.history.ArrivalHistory history = engine.zeroscale.engine().arrivalHistory("app").orElseThrow();
            assertThat(history.arrivals()).isEqualTo(3);
            assertThat(history.idleTimes().count(15)).isEqualTo(2);
        }
    }

    @Test
    void aNewEngineOverTheSameStoreFindsTheHistoryAndSchedulesThePendingPreWake(@TempDir Path otherDataDirectory) {
        // A store both engines reach, as a cluster's store is: not the first one's data directory.
        MemoryStateStore store = new MemoryStateStore();
        Instant start = EngineHarness.START;
        Instant last = start.plus(Duration.ofMinutes(15L * 6));
        try (EngineHarness leader = new EngineHarness(start, TARGET, STARTUP, 0, Leadership.always(),
                builder -> builder.dataDirectory(dataDirectory).persistentArrivalHistory(true).stateStore(store))) {
            for (int i = 0; i <= 6; i++) {
                advanceTo(leader, start.plus(Duration.ofMinutes(15L * i)));
                request(leader);
            }
        }
        assertThat(store.keys("history/")).containsExactly("history/app/2026-01-01.csv");

        // The leader is gone; another engine, on another machine with its own data directory, takes
        // over 5 minutes after the last request.
        try (EngineHarness successor = new EngineHarness(last.plus(Duration.ofMinutes(5)), TARGET, STARTUP, 0, Leadership.always(),
                builder -> builder.dataDirectory(otherDataDirectory).persistentArrivalHistory(true).stateStore(store))) {
            assertThat(successor.state()).isEqualTo("ZERO");
            io.zeroscale.engine.history.PlannedPrewake planned = successor.zeroscale.engine().plannedPrewake("app").orElseThrow();
            assertThat(planned.source()).isEqualTo("idle-times");
            assertThat(planned.at()).isBefore(last.plus(Duration.ofMinutes(15))).isAfter(successor.time.now());

            Instant next = last.plus(Duration.ofMinutes(15));
            advanceTo(successor, next.minusSeconds(1));
            assertThat(successor.state()).as("woken before the expected request").isEqualTo("ACTIVE");
            advanceTo(successor, next);
            assertThat(request(successor)).as("the request waited for a wake").isFalse();
            assertThat(successor.journal()).extracting(JournalEntry::message).anyMatch(message -> message.startsWith(
                    "ZERO -> WAKING: waking: pre-wake: next request expected from "));
        }
    }

    @Test
    void aHistoryFileOfAnOlderEngineMovesIntoTheStore() throws IOException {
        Path legacy = dataDirectory.resolve("engine").resolve("history");
        Files.createDirectories(legacy);
        Files.writeString(legacy.resolve("app.csv"), "time,requests\n2025-12-30T10:00:00Z,2\n2025-12-31T10:00:00Z,1\n");

        try (EngineHarness engine = engine()) {
            assertThat(engine.zeroscale.engine().arrivalHistory("app").orElseThrow().arrivals()).isEqualTo(3);
        }
        Path stored = dataDirectory.resolve("state").resolve("history").resolve("app");
        assertThat(stored.resolve("2025-12-30.csv")).content().isEqualTo("time,requests\n2025-12-30T10:00:00Z,2\n");
        assertThat(stored.resolve("2025-12-31.csv")).content().isEqualTo("time,requests\n2025-12-31T10:00:00Z,1\n");
        assertThat(legacy.resolve("app.csv")).doesNotExist();
        assertThat(legacy.resolve("app.csv.imported")).exists();
    }

    @Test
    void aPushedSignalThatRisesCountsAsOneArrivalInTheHistory() {
        java.util.List<java.util.function.Consumer<io.zeroscale.spi.metrics.SignalValue>> listeners =
                new java.util.concurrent.CopyOnWriteArrayList<>();
        class Queue implements io.zeroscale.spi.metrics.MetricSource, io.zeroscale.spi.metrics.PushMetricSource {
            @Override
            public io.zeroscale.spi.Subscription subscribe(io.zeroscale.spi.metrics.MetricQuery query,
                    java.util.function.Consumer<io.zeroscale.spi.metrics.SignalValue> listener) {
                listeners.add(listener);
                return () -> listeners.remove(listener);
            }

            @Override
            public io.zeroscale.spi.metrics.SignalValue query(io.zeroscale.spi.metrics.MetricQuery query, Duration window) {
                return io.zeroscale.spi.metrics.SignalValue.unknown("push only", Instant.EPOCH);
            }

            @Override
            public void close() {}
        }
        String target = TARGET.replace("  adaptive: { min-samples: 5 }", "  adaptive: { min-samples: 5 }\n  signals:\n    depth: { source: queue, query: depth }");
        try (EngineHarness engine = new EngineHarness(EngineHarness.START, target, STARTUP, 0, Leadership.always(),
                builder -> builder.metricSource("queue", new Queue()))) {
            java.util.function.DoubleConsumer push = value -> listeners.forEach(listener -> listener.accept(
                    io.zeroscale.spi.metrics.SignalValue.known(value, engine.time.now())));
            assertThat(listeners).as("the engine subscribed to the pushed signal").isNotEmpty();
            push.accept(3); // the queue fills: one arrival
            engine.advance(Duration.ofSeconds(10));
            push.accept(5); // still not empty: no new arrival
            engine.advance(Duration.ofMinutes(2));
            push.accept(0);
            engine.advance(Duration.ofSeconds(10));
            push.accept(1); // empty, then not: the next arrival
            engine.advance(Duration.ofSeconds(10));

            assertThat(engine.zeroscale.engine().arrivalHistory("app").orElseThrow().toCsv())
                    .isEqualTo("time,requests\n2026-01-01T00:00:00Z,1\n2026-01-01T00:02:00Z,1\n");
        }
    }

    @Test
    void zeroToNTakesTheAdaptiveSettingsAsOptionsAndPreWakesFromTheStoredHistory() throws IOException {
        Instant start = EngineHarness.START;
        StringBuilder csv = new StringBuilder("time,requests\n");
        for (Instant at = start.minus(Duration.ofMinutes(5)).minus(Duration.ofHours(3)); !at.isAfter(start.minus(Duration.ofMinutes(5)));
                at = at.plus(Duration.ofMinutes(15))) {
            csv.append(at).append(",1\n");
        }
        storeHistory(csv.toString());
        String zeroToN = TARGET.replace("automaton: adaptive", "automaton: zero-to-n");
        try (EngineHarness engine = new EngineHarness(zeroToN, STARTUP, 0, Leadership.always(), this::onDisk)) {
            assertThat(engine.zeroscale.engine().plannedPrewake("app")).get().extracting(PlannedPrewake::source).isEqualTo("idle-times");
            advanceTo(engine, start.plus(Duration.ofMinutes(10)).minusSeconds(1));
            assertThat(engine.state()).as("woken before the expected request").isEqualTo("ACTIVE");
        }
        String fixed = zeroToN.replace("  adaptive: { min-samples: 5 }\n", "");
        try (EngineHarness engine = new EngineHarness(fixed, STARTUP, 0, Leadership.always(), this::onDisk)) {
            assertThat(engine.zeroscale.engine().plannedPrewake("app")).as("zero-to-n without adaptive: plans nothing").isEmpty();
            advanceTo(engine, start.plus(Duration.ofMinutes(10)).minusSeconds(1));
            assertThat(engine.state()).isEqualTo("ZERO");
        }
    }
}
