package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

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
        return new EngineHarness(TARGET, STARTUP, 0, Leadership.always(),
                builder -> builder.dataDirectory(dataDirectory).persistentArrivalHistory(true));
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
        Path history = dataDirectory.resolve("engine").resolve("history");
        Files.createDirectories(history);
        Files.writeString(history.resolve("app.csv"), csv);

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
        // The day's history and the new request are on disk for the next restart.
        assertThat(Files.readString(history.resolve("app.csv"))).contains("2026-01-01T00:10:00Z,1");
    }

    @Test
    void aCorruptHistoryIsSetAsideAndJournalledWithItsPath() throws IOException {
        Path history = dataDirectory.resolve("engine").resolve("history");
        Files.createDirectories(history);
        Files.writeString(history.resolve("app.csv"), "garbage\n");

        try (EngineHarness engine = engine()) {
            assertThat(engine.journal()).filteredOn(entry -> entry.kind() == JournalEntry.Kind.HISTORY)
                    .singleElement().extracting(JournalEntry::message).asString()
                    .contains(history.resolve("app.csv").toString())
                    .contains("set aside as " + history.resolve("app.csv.corrupt-"));
            assertThat(Files.readString(Files.list(history).filter(p -> p.getFileName().toString().contains("corrupt")).findFirst()
                    .orElseThrow())).isEqualTo("garbage\n");
        }
    }
}
