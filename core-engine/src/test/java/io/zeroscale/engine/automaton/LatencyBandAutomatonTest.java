package io.zeroscale.engine.automaton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

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

class LatencyBandAutomatonTest {
    private final TestTargetContext context = TestTargetContext.create();

    private static Automaton automaton(Object... overrides) {
        Map<String, Object> settings = new HashMap<>(Map.of("signal", "p95"));
        for (int i = 0; i < overrides.length; i += 2) {
            settings.put((String) overrides[i], overrides[i + 1]);
        }
        return new LatencyBandAutomatonFactory().create(Specs.spec(1, 5, Set.of("p95"), settings), Specs.pluginContext());
    }

    private Decision sample(Automaton automaton, double latency) {
        context.advance(automaton, Duration.ofSeconds(15));
        context.setSignal("p95", latency);
        return context.deliver(automaton, new Event.SignalChanged("p95"));
    }

    private void start(Automaton automaton, int replicas) {
        context.setObserved(Specs.ready(replicas, context.now()));
        context.deliver(automaton, new Event.Start(context.observed()));
    }

    @Test
    void scalesOnTheExactBandRule() {
        // alpha 1 makes each EWMA the sample itself, so the band can be worked out by hand
        Automaton automaton = automaton("alpha", 1, "history", 4, "cooldown", "0s");
        start(automaton, 2);
        for (double latency : new double[] {10, 10, 12}) {
            assertThat(sample(automaton, latency).replicas()).isEqualTo(2);
            assertThat(automaton.state()).isEqualTo("WARMING_UP");
        }
        sample(automaton, 14);
        assertThat(automaton.state()).as("the history is full: the next sample decides").isEqualTo("TRACKING");
        assertThat(context.lastDecision().reason()).isEqualTo("p95 ewma 14.0, warming up (4 of 4 samples) -> keep 2 replicas");

        // history [10, 10, 12, 14]: p75 = 12 + 0.25 * 2 = 12.5; sigma = sqrt(2.75) = 1.658;
        // band = 12.5 -/+ 1.5 * 1.658 = [10.01, 14.99]
        Decision up = sample(automaton, 15);
        assertThat(up.replicas()).isEqualTo(3);
        assertThat(up.reason()).isEqualTo("p95 ewma 15.0 above band [10.01, 14.99] -> 3 replicas");
        assertThat(automaton.state()).isEqualTo("TRACKING");

        // history [10, 12, 14, 15]: p75 = 14.25; sigma = sqrt(3.6875) = 1.920; band = [11.37, 17.13]
        Decision inside = sample(automaton, 11.5);
        assertThat(inside.replicas()).isEqualTo(3);
        assertThat(inside.reason()).isEqualTo("p95 ewma 11.5 within band [11.37, 17.13] -> keep 3 replicas");

        // history [12, 14, 15, 11.5]: p75 = 14.25; sigma = sqrt(2.046875) = 1.431; band = [12.10, 16.40]
        Decision down = sample(automaton, 12);
        assertThat(down.replicas()).isEqualTo(2);
        assertThat(down.reason()).isEqualTo("p95 ewma 12.0 below band [12.1, 16.4] -> 2 replicas");
    }

    @Test
    void smoothsSamplesWithAnEwma() {
        Automaton automaton = automaton("alpha", 0.5, "history", 2);
        start(automaton, 2);
        sample(automaton, 10);
        assertThat(sample(automaton, 20).reason()).startsWith("p95 ewma 15.0,"); // 0.5 * 20 + 0.5 * 10
        assertThat(sample(automaton, 20).reason()).startsWith("p95 ewma 17.5 "); // 0.5 * 20 + 0.5 * 15
    }

    @Test
    void aSustainedSpikeScalesUpOnceThenCoolsDown() {
        Automaton automaton = automaton("cooldown", "1m");
        start(automaton, 1);
        for (int i = 0; i < 20; i++) {
            sample(automaton, 0.200 + (i % 3) * 0.005);
        }
        assertThat(automaton.state()).isEqualTo("TRACKING");

        assertThat(sample(automaton, 0.900).replicas()).isEqualTo(2);
        assertThat(automaton.state()).isEqualTo("COOLDOWN");
        Decision cooling = sample(automaton, 0.900);
        assertThat(cooling.replicas()).isEqualTo(2);
        assertThat(cooling.reason()).contains("cooling down for 45s");
    }

    @Test
    void neverLeavesTheBounds() {
        Automaton automaton = automaton("alpha", 1, "history", 3, "cooldown", "0s");
        start(automaton, 5);
        double latency = 1;
        for (int i = 0; i < 30; i++) {
            latency *= 2; // always above the band
            assertThat(sample(automaton, latency).replicas()).isEqualTo(5);
        }
        assertThat(context.lastDecision().reason()).endsWith("but already at max 5");
    }

    @Test
    void unknownHoldsAndIsNoSample() {
        Automaton automaton = automaton("alpha", 1, "history", 2);
        start(automaton, 3);
        sample(automaton, 10);
        context.advance(automaton, Duration.ofSeconds(15));
        context.setSignalUnknown("p95", "tempo unreachable");

        Decision held = context.deliver(automaton, new Event.SignalChanged("p95"));
        assertThat(held.replicas()).isEqualTo(3);
        assertThat(held.reason()).isEqualTo("p95 unknown (tempo unreachable); holding 3 replicas");
        assertThat(sample(automaton, 10).reason()).contains("(2 of 2 samples)");
    }

    @Test
    void aTickWithoutANewValueIsNoSample() {
        Automaton automaton = automaton("history", 2);
        start(automaton, 3);
        sample(automaton, 10);
        context.advance(automaton, Duration.ofSeconds(1));
        context.deliver(automaton, new Event.Tick());
        assertThat(sample(automaton, 10).reason()).contains("(2 of 2 samples)");
    }

    @Test
    void percentileInterpolatesBetweenRanks() {
        assertThat(LatencyBandAutomaton.percentile75(new double[] {4, 1, 3, 2})).isCloseTo(3.25, within(1e-12));
        assertThat(LatencyBandAutomaton.percentile75(new double[] {7, 7})).isEqualTo(7);
    }

    @Test
    void settingsAreValidated() {
        assertThatThrownBy(() -> automaton("alpha", 0))
                .hasMessageStartingWith("targets.app.policy.alpha: must be above 0 and at most 1");
        assertThatThrownBy(() -> automaton("history", 1))
                .hasMessageStartingWith("targets.app.policy.history: must be between 2");
        assertThatThrownBy(() -> automaton("sigmas", -1))
                .hasMessage("targets.app.policy.sigmas: must be greater than 0, got -1");
        assertThatThrownBy(() -> automaton("signal", "p59"))
                .hasMessageStartingWith("targets.app.policy.signal: unknown signal 'p59'; did you mean 'p95'?");
        assertThatThrownBy(() -> automaton("sigma", 2))
                .hasMessage("targets.app.policy.sigma: unknown key; did you mean 'sigmas'?");
    }

    @Test
    void everyMistakeOfTheSettingsIsReportedTogether() {
        assertThatThrownBy(() -> automaton("alpha", 2, "history", 1, "step", 0, "cooldwn", "1m"))
                .isInstanceOfSatisfying(ZeroscaleException.class, e -> assertThat(e.problems())
                        .extracting(problem -> problem.substring(0, problem.indexOf(':')))
                        .containsExactly("targets.app.policy.alpha", "targets.app.policy.cooldwn",
                                "targets.app.policy.history", "targets.app.policy.step"));
    }
}
