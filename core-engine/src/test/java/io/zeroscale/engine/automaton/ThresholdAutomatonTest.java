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
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ThresholdAutomatonTest {
    private final TestTargetContext context = TestTargetContext.create();

    private static Automaton automaton(Map<String, ?> settings, int min, int max) {
        return new ThresholdAutomatonFactory().create(Specs.spec(min, max, Set.of("queue"), settings),
                Specs.pluginContext());
    }

    private static Map<String, Object> settings(Object... extra) {
        Map<String, Object> settings = new HashMap<>(Map.of("signal", "queue", "scale-up-above", 100, "scale-down-below", 20));
        for (int i = 0; i < extra.length; i += 2) {
            settings.put((String) extra[i], extra[i + 1]);
        }
        return settings;
    }

    private Decision tick(Automaton automaton, Duration after) {
        context.advance(automaton, after);
        return context.deliver(automaton, new Event.Tick());
    }

    @Test
    void stepsUpOncePerCooldownWhileAbove() {
        Automaton automaton = automaton(settings("step", 2, "cooldown", "30s"), 1, 6);
        context.setObserved(Specs.ready(1, context.now()));
        context.setSignal("queue", 150);
        assertThat(context.deliver(automaton, new Event.Start(context.observed())).replicas()).isEqualTo(1);

        Decision first = tick(automaton, Duration.ofSeconds(1));
        assertThat(first.replicas()).isEqualTo(3);
        assertThat(first.reason()).isEqualTo("queue 150.0 above 100 -> 3 replicas");
        assertThat(automaton.state()).isEqualTo("COOLDOWN");

        Decision cooling = tick(automaton, Duration.ofSeconds(10));
        assertThat(cooling.replicas()).isEqualTo(3);
        assertThat(cooling.reason()).isEqualTo("queue 150.0 above 100; cooling down for 20s, keeping 3 replicas");

        assertThat(tick(automaton, Duration.ofSeconds(20)).replicas()).isEqualTo(5);
        assertThat(tick(automaton, Duration.ofSeconds(30)).replicas()).as("capped at max").isEqualTo(6);
        Decision atMax = tick(automaton, Duration.ofSeconds(30));
        assertThat(atMax.replicas()).isEqualTo(6);
        assertThat(atMax.reason()).isEqualTo("queue 150.0 above 100 but already at max 6");
    }

    @Test
    void stepsDownWhileBelowAndKeepsBetweenTheThresholds() {
        Automaton automaton = automaton(settings("cooldown", "0s"), 0, 6);
        context.setObserved(Specs.ready(3, context.now()));
        context.setSignal("queue", 50);
        context.deliver(automaton, new Event.Start(context.observed()));

        Decision between = tick(automaton, Duration.ofSeconds(1));
        assertThat(between.replicas()).isEqualTo(3);
        assertThat(between.reason()).isEqualTo("queue 50.0 within [20, 100] -> keep 3 replicas");
        assertThat(automaton.state()).isEqualTo("TRACKING");

        context.setSignal("queue", 5);
        assertThat(tick(automaton, Duration.ofSeconds(1)).replicas()).isEqualTo(2);
        assertThat(tick(automaton, Duration.ofSeconds(1)).replicas()).isEqualTo(1);
        assertThat(tick(automaton, Duration.ofSeconds(1)).replicas()).isZero();
        assertThat(tick(automaton, Duration.ofSeconds(1)).replicas()).isZero();
    }

    @Test
    void readsTheSignalOnTicksOnly() {
        Automaton automaton = automaton(settings(), 0, 6);
        context.setObserved(Specs.ready(2, context.now()));
        context.deliver(automaton, new Event.Start(context.observed()));

        context.setSignal("queue", 500);
        assertThat(context.deliver(automaton, new Event.SignalChanged("queue")).replicas()).isEqualTo(2);
        assertThat(tick(automaton, Duration.ofSeconds(1)).replicas()).isEqualTo(3);
    }

    @Test
    void unknownSignalHolds() {
        Automaton automaton = automaton(settings(), 0, 6);
        context.setObserved(Specs.ready(2, context.now()));
        context.deliver(automaton, new Event.Start(context.observed()));
        context.setSignalUnknown("queue", "source down");

        Decision decision = tick(automaton, Duration.ofSeconds(1));
        assertThat(decision.replicas()).isEqualTo(2);
        assertThat(decision.reason()).isEqualTo("queue unknown (source down); holding 2 replicas");
    }

    @Test
    void startAdoptsTheObservedReplicasWithinBounds() {
        Automaton automaton = automaton(settings(), 2, 6);
        context.setObserved(Specs.ready(9, context.now()));
        assertThat(context.deliver(automaton, new Event.Start(context.observed())).replicas()).isEqualTo(6);
    }

    @Test
    void timersAreIllegal() {
        Automaton automaton = automaton(settings(), 0, 6);
        context.deliver(automaton, new Event.Start(context.observed()));
        assertThatThrownBy(() -> context.deliver(automaton, new Event.TimerFired("x")))
                .extracting(e -> ((ZeroscaleException) e).errorCode())
                .isEqualTo(StandardErrorCode.ILLEGAL_TRANSITION);
    }

    @Test
    void thresholdsMustLeaveAGap() {
        assertThatThrownBy(() -> automaton(settings("scale-down-below", 100), 0, 6))
                .isInstanceOf(ZeroscaleException.class)
                .hasMessageStartingWith("targets.app.policy.scale-down-below: 100 must be below scale-up-above (100)")
                .extracting(e -> ((ZeroscaleException) e).errorCode())
                .isEqualTo(StandardErrorCode.POLICY_INVALID);
        assertThatThrownBy(() -> automaton(settings("step", 0), 0, 6))
                .hasMessage("targets.app.policy.step: must be at least 1, got 0");
        assertThatThrownBy(() -> automaton(settings("cooldown", "1 minute"), 0, 6))
                .hasMessageStartingWith("targets.app.policy.cooldown: '1 minute' is not a duration");
        assertThatThrownBy(() -> automaton(settings("cooldwn", "1m"), 0, 6))
                .hasMessage("targets.app.policy.cooldwn: unknown key; did you mean 'cooldown'?");
        Map<String, Object> noUpper = settings();
        noUpper.remove("scale-up-above");
        assertThatThrownBy(() -> automaton(noUpper, 0, 6))
                .hasMessage("targets.app.policy.scale-up-above: required key is missing; add a number");
    }

    @Test
    void everyMistakeOfTheSettingsIsReportedTogether() {
        Map<String, Object> settings = settings("step", 0);
        settings.put("cooldwn", "1m");
        settings.put("scale-down-below", 100);
        assertThatThrownBy(() -> automaton(settings, 0, 6))
                .isInstanceOfSatisfying(ZeroscaleException.class, e -> assertThat(e.problems()).containsExactly(
                        "targets.app.policy.cooldwn: unknown key; did you mean 'cooldown'?",
                        "targets.app.policy.scale-down-below: 100 must be below scale-up-above (100); the gap between them"
                                + " is where the replicas stay put",
                        "targets.app.policy.step: must be at least 1, got 0"));
    }
}
