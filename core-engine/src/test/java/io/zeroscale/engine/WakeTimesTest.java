package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Wake durations through the whole engine on virtual time: the last, the median and the p99, and failed wakes apart. */
class WakeTimesTest {
    private static final String TARGET = """
            orchestrator: fake
            workload: { kind: Process }
            policy:
              automaton: zero-to-n
              idle: 1m
              wake-timeout: 30s
              drain-timeout: 5s
              replicas: { min: 0, max: 2 }
            """;

    @Test
    void eachWakeIsTimedFromTheDecisionToTheFirstReadyReplica() {
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofSeconds(2))) {
            WakeTimes wakes = engine.zeroscale.engine().wakeTimes();
            engine.advance(Duration.ofSeconds(1));
            assertThat(wakes.summary(engine.ref)).isEqualTo(new WakeTimes.Summary(0, 0, null, null, null, null, null));

            // Wakes of 2 s, 4 s, ..., 20 s, then one more of 3 s.
            for (int seconds = 2; seconds <= 20; seconds += 2) {
                wake(engine, Duration.ofSeconds(seconds));
            }
            Instant lastStarted = wake(engine, Duration.ofSeconds(3));

            WakeTimes.Summary summary = wakes.summary(engine.ref);
            assertThat(summary.completed()).isEqualTo(11);
            assertThat(summary.failed()).isZero();
            assertThat(summary.last()).isEqualTo(Duration.ofSeconds(3));
            assertThat(summary.lastAt()).isEqualTo(lastStarted.plusSeconds(3));
            assertThat(summary.median()).as("the middle of 2,3,4,...,20").isEqualTo(Duration.ofSeconds(10));
            assertThat(summary.p99()).isEqualTo(Duration.ofSeconds(20));
            assertThat(summary.wakingSince()).isNull();
        }
    }

    @Test
    void aWakeGoingOnShowsSinceWhenAndAFailedOneIsCountedApart() {
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofMinutes(5))) {
            WakeTimes wakes = engine.zeroscale.engine().wakeTimes();
            Instant started = engine.time.now();
            engine.holdRequest();
            engine.advance(Duration.ofSeconds(10));
            assertThat(wakes.summary(engine.ref).wakingSince()).isEqualTo(started);

            engine.advance(Duration.ofSeconds(25)); // past wake-timeout 30s
            assertThat(engine.state()).isEqualTo("ZERO");
            WakeTimes.Summary summary = wakes.summary(engine.ref);
            assertThat(summary.failed()).isEqualTo(1);
            assertThat(summary.completed()).isZero();
            assertThat(summary.last()).as("a failed wake is no duration").isNull();
            assertThat(summary.wakingSince()).isNull();
        }
    }

    /** Wakes the idle target with a held request, its replica ready after {@code startup}; back at zero after. */
    private static Instant wake(EngineHarness engine, Duration startup) {
        engine.orchestrator.setStartup(startup);
        Instant started = engine.time.now();
        engine.holdRequest();
        engine.advance(startup);
        assertThat(engine.state()).isEqualTo("ACTIVE");
        engine.releaseHeld();
        engine.finishRequest();
        engine.advance(Duration.ofMinutes(1));
        engine.drained();
        assertThat(engine.state()).isEqualTo("ZERO");
        engine.advance(Duration.ofSeconds(10));
        return started;
    }
}
