package io.zeroscale.engine.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.ZeroscaleException;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ArrivalHistoryTest {
    private static final Instant T0 = Instant.parse("2026-01-05T00:00:00Z");

    @Test
    void countsArrivalsPerMinuteFromTheGatewayCounter() {
        ArrivalHistory history = new ArrivalHistory();
        history.counter(T0.plusSeconds(10), 2);
        history.counter(T0.plusSeconds(20), 2); // the same counter again: nothing new
        history.counter(T0.plusSeconds(70), 5);
        history.counter(T0.plusSeconds(90), 1); // the gateway restarted: its counter starts over

        assertThat(history.toCsv()).isEqualTo("""
                time,requests
                2026-01-05T00:00:00Z,2
                2026-01-05T00:01:00Z,4
                """);
        assertThat(history.arrivals()).isEqualTo(6);
        assertThat(history.lastArrival()).isEqualTo(T0.plusSeconds(90));
    }

    @Test
    void aBacklogInTheCounterIsNotRecordedAsThisMinutesArrivals() {
        ArrivalHistory history = new ArrivalHistory();
        history.counter(T0.plusSeconds(10), 2);
        // A gateway joins with 5000 requests counted since it started, 1 of them in flight now.
        history.counter(T0.plusSeconds(70), 5002, 4999);
        history.counter(T0.plusSeconds(130), 5004);

        assertThat(history.toCsv()).isEqualTo("""
                time,requests
                2026-01-05T00:00:00Z,2
                2026-01-05T00:01:00Z,1
                2026-01-05T00:02:00Z,2
                """);
    }

    @Test
    void idleTimesAreTheMinutesBetweenArrivals() {
        ArrivalHistory history = new ArrivalHistory();
        for (int i = 0; i < 20; i++) {
            history.record(T0.plus(Duration.ofMinutes(15L * i)), 1);
        }
        history.record(T0.plus(Duration.ofMinutes(15L * 19)).plusSeconds(5), 2); // three in the last minute

        IdleTimeHistogram idle = history.idleTimes();
        assertThat(idle.count(15)).isEqualTo(19);
        assertThat(idle.count(0)).isEqualTo(2);
        assertThat(idle.inRange()).isEqualTo(21);
        assertThat(idle.outOfRange()).isZero();
        assertThat(idle.percentile(50)).isEqualTo(15);
        assertThat(idle.percentile(5)).isEqualTo(0);
    }

    @Test
    void idleTimesBeyondTheRangeAreCountedApart() {
        ArrivalHistory history = new ArrivalHistory();
        history.record(T0, 1);
        history.record(T0.plus(Duration.ofHours(5)), 1);
        history.record(T0.plus(Duration.ofHours(5)).plus(Duration.ofMinutes(3)), 1);

        IdleTimeHistogram idle = history.idleTimes();
        assertThat(idle.outOfRange()).isEqualTo(1);
        assertThat(idle.inRange()).isEqualTo(1);
        assertThat(idle.count(3)).isEqualTo(1);
    }

    @Test
    void keepsAtLeastFourteenDaysAndForgetsWhatIsOlderWithItsIdleTimes() {
        ArrivalHistory history = new ArrivalHistory();
        // Every 10 minutes for 20 days, then hourly for a day.
        Instant at = T0;
        for (; at.isBefore(T0.plus(Duration.ofDays(20))); at = at.plus(Duration.ofMinutes(10))) {
            history.record(at, 2);
        }
        Instant end = at.plus(Duration.ofDays(1));
        for (; at.isBefore(end); at = at.plus(Duration.ofHours(1))) {
            history.record(at, 1);
        }
        Instant newest = at.minus(Duration.ofHours(1));

        // The oldest row kept is exactly RETENTION before the newest.
        assertThat(history.toCsv().lines().skip(1).findFirst().orElseThrow())
                .isEqualTo(newest.minus(ArrivalHistory.RETENTION) + ",2");
        assertThat(ArrivalHistory.RETENTION).isGreaterThanOrEqualTo(Duration.ofDays(14));
        // The histogram kept up while minutes aged out equals the one rebuilt from what is kept.
        IdleTimeHistogram kept = history.idleTimes();
        IdleTimeHistogram rebuilt = ArrivalHistory.fromCsv(history.toCsv(), "test").idleTimes();
        assertThat(kept.inRange()).isEqualTo(rebuilt.inRange());
        assertThat(kept.outOfRange()).isEqualTo(rebuilt.outOfRange());
        for (int minute = 0; minute < kept.rangeMinutes(); minute++) {
            assertThat(kept.count(minute)).as("bin %d", minute).isEqualTo(rebuilt.count(minute));
        }
        assertThat(kept.count(60)).isEqualTo(23);
        assertThat(kept.count(10)).isPositive();
    }

    @Test
    void csvRoundTrips() {
        ArrivalHistory history = new ArrivalHistory();
        history.record(T0.plusSeconds(30), 3);
        history.record(T0.plus(Duration.ofMinutes(7)), 1);

        ArrivalHistory read = ArrivalHistory.fromCsv(history.toCsv(), "test");

        assertThat(read.toCsv()).isEqualTo(history.toCsv());
        assertThat(read.idleTimes().count(7)).isEqualTo(1);
        assertThat(read.idleTimes().count(0)).isEqualTo(2);
        assertThat(read.lastArrival()).isEqualTo(T0.plus(Duration.ofMinutes(7)));
    }

    @Test
    void badCsvNamesTheLineAndTheProblem() {
        assertThatThrownBy(() -> ArrivalHistory.fromCsv("when,count\n", "h.csv"))
                .isInstanceOf(ZeroscaleException.class).hasMessageContaining("h.csv line 1: expected the header 'time,requests'");
        assertThatThrownBy(() -> ArrivalHistory.fromCsv("time,requests\n2026-01-01T00:00:00Z,x\n", "h.csv"))
                .hasMessageContaining("h.csv line 2:").hasMessageContaining("whole number");
        assertThatThrownBy(() -> ArrivalHistory.fromCsv("time,requests\n2026-01-01T00:05:00Z,1\n2026-01-01T00:01:00Z,1\n", "h.csv"))
                .hasMessageContaining("h.csv line 3: time does not move forward");
        assertThatThrownBy(() -> ArrivalHistory.fromCsv("time,requests\n2026-01-01T00:05:00Z\n", "h.csv"))
                .hasMessageContaining("line 2: expected 'time,requests'");
    }
}
