package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.engine.time.VirtualScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** When a target ticks: every period while needed, once at the deadline while quiet; virtual time. */
class TickScheduleTest {
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    private final VirtualScheduler time = new VirtualScheduler(START);
    private final List<Instant> ticks = new ArrayList<>();
    /** The actor's mailbox: messages run at once, in order, on the thread advancing the time. */
    private final TickSchedule schedule = new TickSchedule(time, Duration.ofSeconds(1), Runnable::run,
            () -> ticks.add(time.now()));

    @Test
    void ticksEveryPeriodWhileNeededAndNotAtAllOnceQuiet() {
        schedule.update(true, null);
        time.advance(Duration.ofSeconds(3));
        assertThat(ticks).containsExactly(START.plusSeconds(1), START.plusSeconds(2), START.plusSeconds(3));
        assertThat(schedule.ticking()).isTrue();

        schedule.update(false, null);
        time.advance(Duration.ofHours(1));
        assertThat(ticks).hasSize(3);
        assertThat(schedule.ticking()).isFalse();
        assertThat(time.pending()).as("nothing left scheduled").isZero();

        schedule.update(true, null); // at 3 s + 1 h: ticking again, one period from now
        time.advance(Duration.ofSeconds(2));
        assertThat(ticks).hasSize(5).endsWith(START.plusSeconds(3604), START.plusSeconds(3605));
    }

    @Test
    void aQuietTargetTicksOnceAtItsDeadline() {
        schedule.update(false, START.plusSeconds(15));
        time.advance(Duration.ofSeconds(14));
        assertThat(ticks).isEmpty();
        time.advance(Duration.ofSeconds(1));
        assertThat(ticks).containsExactly(START.plusSeconds(15));
        assertThat(schedule.wakeUpAt()).as("fired: no wake-up left").isNull();
        time.advance(Duration.ofMinutes(5));
        assertThat(ticks).hasSize(1);
    }

    @Test
    void aLaterDeadlineKeepsTheWakeUpAndAnEarlierOneMovesIt() {
        schedule.update(false, START.plusSeconds(15));
        // Each report moves the TTL later: the wake-up set for 15 s stays (a tick too early only checks again).
        schedule.update(false, START.plusSeconds(20));
        assertThat(schedule.wakeUpAt()).isEqualTo(START.plusSeconds(15));
        assertThat(time.pending()).as("no second wake-up").isEqualTo(1);

        schedule.update(false, START.plusSeconds(10));
        assertThat(schedule.wakeUpAt()).isEqualTo(START.plusSeconds(10));
        time.advance(Duration.ofSeconds(30));
        assertThat(ticks).as("the replaced wake-up at 15 s was cancelled").containsExactly(START.plusSeconds(10));
    }

    @Test
    void needingTicksAgainCancelsTheWakeUpAndCloseStopsEverything() {
        schedule.update(false, START.plusSeconds(15));
        schedule.update(true, START.plusSeconds(15));
        assertThat(schedule.wakeUpAt()).isNull();
        time.advance(Duration.ofSeconds(2));
        assertThat(ticks).containsExactly(START.plusSeconds(1), START.plusSeconds(2));

        schedule.close();
        schedule.update(true, null);
        time.advance(Duration.ofMinutes(1));
        assertThat(ticks).hasSize(2);
        assertThat(time.pending()).isZero();
    }
}
