package io.zeroscale.engine.automaton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.testkit.TestTargetContext;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StepAutomatonTest {
    private static final List<Map<String, Object>> STEPS = List.of(
            Map.of("above", 0, "replicas", 1),
            Map.of("above", 100, "replicas", 3),
            Map.of("above", 500, "replicas", 6));

    private final TestTargetContext context = TestTargetContext.create();

    private static Automaton automaton(Object steps, int min, int max) {
        return new StepAutomatonFactory().create(
                Specs.spec(min, max, Set.of("rps"), Map.of("signal", "rps", "steps", steps)), Specs.pluginContext());
    }

    private Decision rps(Automaton automaton, double value) {
        context.setSignal("rps", value);
        return context.deliver(automaton, new Event.SignalChanged("rps"));
    }

    @Test
    void picksTheHighestStepWhoseThresholdIsExceeded() {
        Automaton automaton = automaton(STEPS, 0, 8);
        context.setObserved(Specs.ready(2, context.now()));
        context.setSignal("rps", 50);
        assertThat(context.deliver(automaton, new Event.Start(context.observed())).replicas()).isEqualTo(1);

        assertThat(rps(automaton, 100).replicas()).as("the threshold itself is not exceeded").isEqualTo(1);
        Decision three = rps(automaton, 100.5);
        assertThat(three.replicas()).isEqualTo(3);
        assertThat(three.reason()).isEqualTo("rps 100.5 above 100 -> 3 replicas");
        assertThat(rps(automaton, 10_000).replicas()).isEqualTo(6);
        Decision none = rps(automaton, 0);
        assertThat(none.replicas()).isZero();
        assertThat(none.reason()).isEqualTo("rps 0.0 not above the lowest step (0) -> min 0 replicas");
    }

    @Test
    void followsAGatewayCounterOnRequestsChanged() {
        Automaton automaton = new StepAutomatonFactory().create(Specs.spec(0, 8, Set.of(),
                Map.of("signal", "held", "steps", STEPS)), Specs.pluginContext());
        context.deliver(automaton, new Event.Start(context.observed()));

        context.setRequests(new RequestStats(101, 0, 101, 0, 0));
        assertThat(context.deliver(automaton, new Event.RequestsChanged()).replicas()).isEqualTo(3);
    }

    @Test
    void otherSignalsDoNotRemap() {
        Automaton automaton = automaton(STEPS, 0, 8);
        context.setSignal("rps", 50);
        context.deliver(automaton, new Event.Start(context.observed()));
        context.setSignal("rps", 600);
        assertThat(context.deliver(automaton, new Event.SignalChanged("cpu")).replicas()).isEqualTo(1);
        assertThat(context.deliver(automaton, new Event.Tick()).replicas()).isEqualTo(6);
    }

    @Test
    void unknownSignalHoldsTheLastReplicas() {
        Automaton automaton = automaton(STEPS, 0, 8);
        context.setObserved(Specs.ready(4, context.now()));
        context.setSignalUnknown("rps", "scrape failed");
        assertThat(context.deliver(automaton, new Event.Start(context.observed())).replicas())
                .as("unknown at start keeps what runs")
                .isEqualTo(4);

        rps(automaton, 600);
        context.setSignalUnknown("rps", "scrape failed");
        Decision held = context.deliver(automaton, new Event.Tick());
        assertThat(held.replicas()).isEqualTo(6);
        assertThat(held.reason()).isEqualTo("rps unknown (scrape failed); holding 6 replicas");
    }

    @Test
    void thresholdsMustIncreaseWithoutOverlap() {
        assertThatThrownBy(() -> automaton(List.of(Map.of("above", 100, "replicas", 3), Map.of("above", 0, "replicas", 1)), 0, 8))
                .isInstanceOf(ZeroscaleException.class)
                .hasMessageStartingWith("targets.app.policy.steps[1].above: 0 must be greater than steps[0].above (100)")
                .extracting(e -> ((ZeroscaleException) e).errorCode())
                .isEqualTo(StandardErrorCode.POLICY_INVALID);
        assertThatThrownBy(() -> automaton(List.of(Map.of("above", 10, "replicas", 1), Map.of("above", 10, "replicas", 2)), 0, 8))
                .hasMessageStartingWith("targets.app.policy.steps[1].above: 10 must be greater than steps[0].above (10)");
        assertThatThrownBy(() -> automaton(List.of(Map.of("above", 0, "replicas", 4), Map.of("above", 10, "replicas", 2)), 0, 8))
                .hasMessageStartingWith("targets.app.policy.steps[1].replicas: 2 is fewer than steps[0].replicas (4)");
    }

    @Test
    void stepsAreValidatedStrictly() {
        assertThatThrownBy(() -> automaton(List.of(Map.of("above", 0, "replicas", 9)), 0, 8))
                .hasMessage("targets.app.policy.steps[0].replicas: 9 is outside replicas: {min: 0, max: 8}; pick a value"
                        + " in that range or widen replicas");
        assertThatThrownBy(() -> automaton(List.of(Map.of("above", 0, "replica", 1)), 0, 8))
                .hasMessage("targets.app.policy.steps[0].replica: unknown key; did you mean 'replicas'?\n"
                        + "targets.app.policy.steps[0].replicas: required key is missing; add a whole number");
        assertThatThrownBy(() -> automaton(List.of(), 0, 8))
                .hasMessageStartingWith("targets.app.policy.steps: needs at least one step");
        assertThatThrownBy(() -> automaton("0:1", 0, 8))
                .hasMessageStartingWith("targets.app.policy.steps: expected a list of mappings");
        assertThatThrownBy(() -> automaton(List.of("above 0"), 0, 8))
                .hasMessageStartingWith("targets.app.policy.steps[0]: expected a mapping");
        assertThatThrownBy(() -> new StepAutomatonFactory().create(
                        Specs.spec(0, 8, Set.of("rps"), Map.of("signal", "rps")), Specs.pluginContext()))
                .hasMessageStartingWith("targets.app.policy.steps: required key is missing");
    }

    @Test
    void everyMistakeOfTheStepsIsReportedTogether() {
        List<Map<String, Object>> steps = List.of(Map.of("above", 10, "replicas", 2, "replcas", 2),
                Map.of("above", 5, "replicas", 1), Map.of("above", "many", "replicas", 3));
        assertThatThrownBy(() -> new StepAutomatonFactory().create(
                        Specs.spec(0, 4, Set.of("rps"), Map.of("signal", "rsp", "steps", steps)), Specs.pluginContext()))
                .isInstanceOfSatisfying(ZeroscaleException.class, e -> assertThat(e.problems())
                        .extracting(problem -> problem.substring(0, problem.indexOf(':')))
                        .containsExactly("targets.app.policy.signal", "targets.app.policy.steps[0].replcas",
                                "targets.app.policy.steps[1].above", "targets.app.policy.steps[1].replicas",
                                "targets.app.policy.steps[2].above"));
    }
}
