package io.zeroscale.engine.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SeasonalForecastTest {
    /** A Monday. */
    private static final Instant MONDAY = Instant.parse("2026-01-05T00:00:00Z");
    private static final SeasonalForecast.Settings SETTINGS = SeasonalForecast.Settings.DEFAULT;

    /** Office hours: one request at 08:03 and then every 20 minutes until 17:43, on weekdays only, for {@code days} days. */
    private static ArrivalHistory officeHours(int days) {
        ArrivalHistory history = new ArrivalHistory();
        for (int day = 0; day < days; day++) {
            Instant midnight = MONDAY.plus(Duration.ofDays(day));
            DayOfWeek weekday = midnight.atZone(ZoneOffset.UTC).getDayOfWeek();
            if (weekday == DayOfWeek.SATURDAY || weekday == DayOfWeek.SUNDAY) {
                continue;
            }
            for (Instant at = midnight.plus(Duration.ofMinutes(8 * 60 + 3)); at.isBefore(midnight.plus(Duration.ofHours(18)));
                    at = at.plus(Duration.ofMinutes(20))) {
                history.record(at, 1);
            }
        }
        return history;
    }

    @Test
    void lessThanADayOfHistoryIsNoForecastAndSaysWhy() {
        ArrivalHistory history = new ArrivalHistory();
        history.record(MONDAY.plus(Duration.ofHours(8)), 1);

        SeasonalForecast forecast = SeasonalForecast.of(history, MONDAY.plus(Duration.ofHours(21)), SETTINGS);

        assertThat(forecast.unavailable()).isEqualTo("history too short: 13h of the 1d a daily pattern needs");
        assertThat(forecast.nextWindow(MONDAY.plus(Duration.ofHours(21)))).isEmpty();
        assertThat(SeasonalForecast.of(new ArrivalHistory(), MONDAY, SETTINGS).unavailable())
                .isEqualTo("no arrival recorded yet: a daily pattern needs a day of history");
    }

    @Test
    void aDailyHabitIsExpectedTheNextMorning() {
        // Monday and Tuesday, asked on Tuesday evening: Wednesday 08:00 is likely, 03:00 is not.
        Instant now = MONDAY.plus(Duration.ofDays(1)).plus(Duration.ofHours(19));
        SeasonalForecast forecast = SeasonalForecast.of(officeHours(2), now, SETTINGS);

        assertThat(forecast.unavailable()).isNull();
        assertThat(forecast.weekly()).isFalse();
        SeasonalForecast.Slot morning = forecast.slot(Instant.parse("2026-01-07T08:05:00Z"));
        assertThat(morning.start()).isEqualTo(Instant.parse("2026-01-07T08:00:00Z"));
        assertThat(morning.end()).isEqualTo(Instant.parse("2026-01-07T08:10:00Z"));
        // Seen on 2 of 2 days: Laplace's rule gives (2 + 1) / (2 + 2).
        assertThat(morning.probability()).isEqualTo(0.75);
        assertThat(morning.daysSeen()).isEqualTo(2);
        assertThat(morning.daysObserved()).isEqualTo(2);
        assertThat(morning.expectedRequests()).isEqualTo(1.0);
        // 03:00 was observed once (Tuesday; Monday's history began at 08:00): (0 + 1) / (1 + 2).
        assertThat(forecast.slot(Instant.parse("2026-01-07T03:00:00Z")).probability()).isEqualTo(1.0 / 3);
        // 08:10-08:20 held no request (08:03, 08:23, ...): the window is the first slot, then 08:20-08:30, ...
        Optional<SeasonalForecast.Window> window = forecast.nextWindow(now);
        assertThat(window).get().extracting(SeasonalForecast.Window::start).isEqualTo(Instant.parse("2026-01-07T08:00:00Z"));
        assertThat(window.get().first().describe()).isEqualTo("probability 0.75: 2 of 2 days");
        assertThat(forecast.basis()).isEqualTo("daily pattern from 1d11h of history (the weekly pattern needs 7d)");
    }

    @Test
    void aWeeklyPatternKeepsTheWeekendQuietAndMondayExpected() {
        // Eight days (Monday to the next Monday) of office hours, asked on the second Friday evening.
        Instant friday = MONDAY.plus(Duration.ofDays(11)).plus(Duration.ofHours(19));
        SeasonalForecast forecast = SeasonalForecast.of(officeHours(12), friday, SETTINGS);
        assertThat(forecast.weekly()).isTrue();

        SeasonalForecast.Slot saturday = forecast.slot(Instant.parse("2026-01-17T08:00:00Z"));
        // Days: 10 of 12 had 08:00 (p_d = 11/14); the one Saturday before had none: (0 + 2 * 11/14) / (1 + 2).
        assertThat(saturday.daysSeen()).isEqualTo(10);
        assertThat(saturday.daysObserved()).isEqualTo(12);
        assertThat(saturday.weekdaysSeen()).isZero();
        assertThat(saturday.weekdaysObserved()).isEqualTo(1);
        assertThat(saturday.probability()).isCloseTo(2.0 * 11 / 14 / 3, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(forecast.likely(saturday)).isFalse();

        // So the next window is Monday's, not the weekend's.
        SeasonalForecast.Window next = forecast.nextWindow(friday).orElseThrow();
        assertThat(next.start()).isEqualTo(Instant.parse("2026-01-19T08:00:00Z"));
        assertThat(next.first().describe()).isEqualTo("probability 0.89: 2 of 2 Mondays, 10 of 12 days");
        assertThat(forecast.basis()).isEqualTo("daily and weekly pattern from 11d11h of history");
    }

    @Test
    void windowsListEveryExpectedStretchOnceAndSlotsCoverTheHorizon() {
        Instant now = MONDAY.plus(Duration.ofDays(3)).plus(Duration.ofHours(19)); // Thursday evening
        SeasonalForecast forecast = SeasonalForecast.of(officeHours(4), now, SETTINGS);

        assertThat(forecast.slots(now, Duration.ofHours(24))).hasSize(144);
        // Friday, Saturday and Sunday mornings: the daily pattern cannot tell a weekend yet.
        assertThat(forecast.windows(now, Duration.ofDays(3))).extracting(SeasonalForecast.Window::start)
                .filteredOn(start -> start.atZone(ZoneOffset.UTC).toLocalTime().equals(java.time.LocalTime.of(8, 0)))
                .containsExactly(Instant.parse("2026-01-09T08:00:00Z"), Instant.parse("2026-01-10T08:00:00Z"),
                        Instant.parse("2026-01-11T08:00:00Z"));
    }

    @Test
    void settingsRefuseASlotThatDoesNotDivideADay() {
        assertThatThrownBy(() -> new SeasonalForecast.Settings(Duration.ofMinutes(7), 0.7))
                .hasMessage("slot must be whole minutes that divide a day, got 7m");
        assertThatThrownBy(() -> new SeasonalForecast.Settings(Duration.ofMinutes(10), 1))
                .hasMessage("minProbability must be between 0 and 1, got 1.0");
    }
}
