package io.zeroscale.engine.automaton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.testkit.TestTargetContext;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ScheduleAutomatonTest {
    // 2026-01-05 is a Monday
    private static final Instant MONDAY_SEVEN = Instant.parse("2026-01-05T07:00:00Z");
    private static final Map<String, Object> OFFICE_HOURS = Map.of("cron", "0 8 * * MON-FRI", "duration", "10h", "replicas", 3);

    private final TestTargetContext context = TestTargetContext.create().setNow(MONDAY_SEVEN);

    private static Automaton automaton(Map<String, ?> settings) {
        return new ScheduleAutomatonFactory().create(Specs.spec(0, 8, Set.of(), settings), Specs.pluginContext());
    }

    private static Map<String, Object> windows(Object... windows) {
        Map<String, Object> settings = new HashMap<>();
        settings.put("windows", List.of(windows));
        return settings;
    }

    @Test
    void opensAndClosesOnTimeThroughItsTimer() {
        Automaton automaton = automaton(windows(OFFICE_HOURS));

        Decision before = context.deliver(automaton, new Event.Start(context.observed()));
        assertThat(before.replicas()).isZero();
        assertThat(before.reason()).isEqualTo("no schedule window active -> default 0 replicas");
        assertThat(automaton.state()).isEqualTo("DEFAULT");
        assertThat(context.dueTimers()).containsEntry("schedule-boundary", Instant.parse("2026-01-05T08:00:00Z"));

        Decision open = context.advance(automaton, Duration.ofHours(1));
        assertThat(open.replicas()).isEqualTo(3);
        assertThat(open.reason()).isEqualTo("schedule window '0 8 * * MON-FRI' active -> 3 replicas");
        assertThat(automaton.state()).isEqualTo("IN_WINDOW");
        assertThat(context.dueTimers()).containsEntry("schedule-boundary", Instant.parse("2026-01-05T18:00:00Z"));

        assertThat(context.advance(automaton, Duration.ofHours(10).minusMillis(1)).replicas()).isEqualTo(3);
        assertThat(context.advance(automaton, Duration.ofMillis(1)).replicas()).as("closes at 18:00").isZero();
        assertThat(context.dueTimers()).containsEntry("schedule-boundary", Instant.parse("2026-01-06T08:00:00Z"));
    }

    @Test
    void skipsTheWeekend() {
        Automaton automaton = automaton(windows(OFFICE_HOURS));
        context.setNow(Instant.parse("2026-01-09T19:00:00Z")); // Friday evening
        context.deliver(automaton, new Event.Start(context.observed()));
        assertThat(context.dueTimers()).containsEntry("schedule-boundary", Instant.parse("2026-01-12T08:00:00Z"));

        assertThat(context.advance(automaton, Duration.ofHours(60)).replicas()).as("Monday 07:00").isZero();
        assertThat(context.advance(automaton, Duration.ofHours(1)).replicas()).isEqualTo(3);
    }

    @Test
    void startingInsideAWindowScalesAtOnce() {
        Automaton automaton = automaton(windows(OFFICE_HOURS));
        context.setNow(Instant.parse("2026-01-05T12:34:00Z"));
        assertThat(context.deliver(automaton, new Event.Start(context.observed())).replicas()).isEqualTo(3);
        assertThat(context.dueTimers()).containsEntry("schedule-boundary", Instant.parse("2026-01-05T18:00:00Z"));
    }

    @Test
    void overlappingWindowsTakeTheMaximum() {
        Automaton automaton = automaton(windows(OFFICE_HOURS,
                Map.of("cron", "0 12 * * *", "duration", "2h", "replicas", 5)));
        context.setNow(Instant.parse("2026-01-05T11:00:00Z"));
        assertThat(context.deliver(automaton, new Event.Start(context.observed())).replicas()).isEqualTo(3);

        Decision lunch = context.advance(automaton, Duration.ofHours(1));
        assertThat(lunch.replicas()).isEqualTo(5);
        assertThat(lunch.reason()).isEqualTo("schedule window '0 8 * * MON-FRI', '0 12 * * *' active -> 5 replicas");
        assertThat(context.advance(automaton, Duration.ofHours(2)).replicas()).isEqualTo(3);
    }

    @Test
    void defaultReplicasAndTimezoneApply() {
        Map<String, Object> settings = windows(OFFICE_HOURS);
        settings.put("default-replicas", 1);
        settings.put("timezone", "Europe/Paris"); // UTC+1 in January
        Automaton automaton = automaton(settings);

        context.setNow(Instant.parse("2026-01-05T06:30:00Z"));
        assertThat(context.deliver(automaton, new Event.Start(context.observed())).replicas()).isEqualTo(1);
        assertThat(context.advance(automaton, Duration.ofMinutes(30)).replicas()).as("08:00 in Paris").isEqualTo(3);
    }

    @Test
    void aTickAfterAMissedBoundaryCatchesUp() {
        Automaton automaton = automaton(windows(OFFICE_HOURS));
        context.deliver(automaton, new Event.Start(context.observed()));
        context.timers().cancel("schedule-boundary"); // as if the timer were lost
        context.setNow(Instant.parse("2026-01-05T08:00:01Z"));

        assertThat(context.deliver(automaton, new Event.Tick()).replicas()).isEqualTo(3);
    }

    @Test
    void foreignTimersAreIllegal() {
        Automaton automaton = automaton(windows(OFFICE_HOURS));
        context.deliver(automaton, new Event.Start(context.observed()));
        assertThatThrownBy(() -> context.deliver(automaton, new Event.TimerFired("idle")))
                .extracting(e -> ((ZeroscaleException) e).errorCode())
                .isEqualTo(StandardErrorCode.ILLEGAL_TRANSITION);
    }

    @Test
    void invalidCronNamesThePathAndCronUtilsMessage() {
        assertThatThrownBy(() -> automaton(windows(Map.of("cron", "0 8 * *", "duration", "1h", "replicas", 1))))
                .isInstanceOf(ZeroscaleException.class)
                .hasMessageStartingWith("targets.app.policy.windows[0].cron: '0 8 * *' is not a UNIX cron expression:"
                        + " Cron expression contains 4 parts but we expect one of [5]")
                .hasMessageEndingWith("e.g. \"0 8 * * MON-FRI\"")
                .extracting(e -> ((ZeroscaleException) e).errorCode())
                .isEqualTo(StandardErrorCode.POLICY_INVALID);
        assertThatThrownBy(() -> automaton(windows(OFFICE_HOURS, Map.of("cron", "61 8 * * *", "duration", "1h", "replicas", 1))))
                .hasMessageStartingWith("targets.app.policy.windows[1].cron: '61 8 * * *' is not a UNIX cron expression:")
                .hasMessageContaining("Value 61 not in range [0, 59]");
        assertThatThrownBy(() -> automaton(windows(Map.of("cron", "0 0 30 2 *", "duration", "1h", "replicas", 1))))
                .hasMessageStartingWith("targets.app.policy.windows[0].cron: '0 0 30 2 *' never fires");
    }

    @Test
    void windowsAreValidatedStrictly() {
        assertThatThrownBy(() -> automaton(windows(Map.of("cron", "0 8 * * *", "duration", "0s", "replicas", 1))))
                .hasMessage("targets.app.policy.windows[0].duration: must be longer than 0s");
        assertThatThrownBy(() -> automaton(windows(Map.of("cron", "0 8 * * *", "duration", "1h", "replicas", 9))))
                .hasMessageStartingWith("targets.app.policy.windows[0].replicas: 9 is outside replicas: {min: 0, max: 8}");
        assertThatThrownBy(() -> automaton(windows(Map.of("cron", "0 8 * * *", "length", "1h", "replicas", 1))))
                .hasMessageContaining("targets.app.policy.windows[0].length: unknown key");
        Map<String, Object> badZone = windows(OFFICE_HOURS);
        badZone.put("timezone", "Mars/Olympus");
        assertThatThrownBy(() -> automaton(badZone))
                .hasMessageStartingWith("targets.app.policy.timezone: 'Mars/Olympus' is not a time zone");
        Map<String, Object> badDefault = windows(OFFICE_HOURS);
        badDefault.put("default-replicas", -1);
        assertThatThrownBy(() -> automaton(badDefault))
                .hasMessageStartingWith("targets.app.policy.default-replicas: -1 is outside replicas");
        assertThatThrownBy(() -> automaton(Map.of()))
                .hasMessageStartingWith("targets.app.policy.windows: required key is missing");
    }

    @Test
    void everyMistakeOfTheWindowsIsReportedTogether() {
        Map<String, Object> settings = windows(Map.of("cron", "0 8 * *", "duration", "10h", "replicas", 2),
                Map.of("cron", "0 18 * * *", "duration", "-1h", "replicas", 20));
        settings.put("timezone", "Mars/Olympus");
        assertThatThrownBy(() -> automaton(settings))
                .isInstanceOfSatisfying(ZeroscaleException.class, e -> assertThat(e.problems())
                        .extracting(problem -> problem.substring(0, problem.indexOf(':')))
                        .containsExactly("targets.app.policy.timezone", "targets.app.policy.windows[0].cron",
                                "targets.app.policy.windows[1].duration", "targets.app.policy.windows[1].replicas"));
    }
}
