package io.zeroscale.engine.automaton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.AutomatonFactory;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.spi.automaton.StateDiagram;
import io.zeroscale.spi.automaton.TargetContext;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Every automaton describes its own states and transitions, with the configured values in the guards. */
class StateDiagramTest {
    @Test
    void zeroToNDrawsItsLifecycleWithTheConfiguredDurations() {
        StateDiagram diagram = describe(new ZeroToNAutomatonFactory(), 0, 4, Set.of("rps"),
                Map.of("idle", "5m", "wake-timeout", "2m", "activation", Map.of("signal", "rps", "above", 1.5)));

        assertThat(names(diagram)).containsExactly("ZERO", "WAKING", "ACTIVE", "DRAINING");
        assertThat(edges(diagram)).containsExactlyInAnyOrder(
                "ZERO -> WAKING: request held or rps > 1.5",
                "WAKING -> ACTIVE: ready >= 1: held requests forwarded",
                "WAKING -> ZERO: not ready within wake-timeout 2m (held requests fail, alert) or the start failed too often",
                "ACTIVE -> DRAINING: idle for 5m",
                "ACTIVE -> WAKING: no ready replica any more",
                "DRAINING -> ZERO: nothing in flight, or drain-timeout 30s",
                "DRAINING -> ACTIVE: request arrives");
        assertThat(diagram.states().get(2).description()).isEqualTo("1..4 replicas by target tracking; requests forwarded");
    }

    @Test
    void thePauseTierAddsItsStateAndEdgesOnlyWhenConfigured() {
        StateDiagram diagram = describe(new ZeroToNAutomatonFactory(), 0, 2, Set.of(), Map.of("idle", "10m", "pause-after", "1m"));

        assertThat(names(diagram)).containsExactly("ZERO", "WAKING", "ACTIVE", "DRAINING", "PAUSED");
        assertThat(edges(diagram)).contains("ACTIVE -> PAUSED: idle for 1m", "PAUSED -> WAKING: request held: resume",
                "PAUSED -> ZERO: idle for 10m");
    }

    @Test
    void aCustomAutomatonIsDrawnFromItsConfigWithAnyStateTransitionsExpanded() {
        StateDiagram diagram = CustomPolicies.create(CustomPolicies.EXAMPLE, Set.of("rps")).describe();

        assertThat(names(diagram)).containsExactly("idle", "warm", "busy");
        assertThat(diagram.states().get(2).description()).isEqualTo("replicas: int(math.ceil(signals.rps / 10.0))");
        assertThat(diagram.states().get(1).description()).isEqualTo("replicas: 1; applies its resource profile");
        assertThat(edges(diagram)).containsExactlyInAnyOrder(
                "idle -> warm: requests.held > 0 || signals.rps > 0.5",
                "warm -> busy: signals.rps > 20.0 held for 30s",
                "busy -> warm: signals.rps < 5.0 held for 2m (alert)",
                "warm -> idle: requests.inflight == 0 held for 5m",
                "warm -> idle: 1h in warm",
                "busy -> idle: 1h in busy");
    }

    @Test
    void everyBuiltInDescribesExactlyTheStatesItCanBeIn() {
        Map<AutomatonFactory, Map<String, ?>> builtIns = Map.of(
                new ZeroToNAutomatonFactory(), Map.of(),
                new ThresholdAutomatonFactory(), Map.of("signal", "rps", "scale-up-above", 10, "scale-down-below", 2),
                new LatencyBandAutomatonFactory(), Map.of("signal", "rps"),
                new ScheduleAutomatonFactory(), Map.of("windows", List.of(Map.of("cron", "0 8 * * 1-5", "duration", "10h", "replicas", 2))),
                new TargetTrackingAutomatonFactory(), Map.of("target", Map.of("signal", "rps", "per-replica", 5)),
                new StepAutomatonFactory(), Map.of("signal", "rps", "steps", List.of(Map.of("above", 0, "replicas", 1))));
        builtIns.forEach((factory, settings) -> {
            Automaton automaton = factory.create(Specs.spec(0, 5, Set.of("rps"), settings), Specs.pluginContext());
            StateDiagram diagram = automaton.describe();
            assertThat(Set.copyOf(names(diagram))).as(factory.type()).isEqualTo(automaton.states());
            assertThat(diagram.transitions()).as(factory.type()).allSatisfy(t -> assertThat(t.guard()).isNotBlank());
        });
        StateDiagram threshold = describe(new ThresholdAutomatonFactory(), 1, 5, Set.of("rps"),
                Map.of("signal", "rps", "scale-up-above", 10, "scale-down-below", 2, "cooldown", "3m"));
        assertThat(edges(threshold)).containsExactly("TRACKING -> COOLDOWN: rps > 10.0: +1; rps < 2.0: -1",
                "COOLDOWN -> TRACKING: cooldown 3m passed");
    }

    @Test
    void anAutomatonWithoutATransitionTableIsDrawnFromItsStatesAlone() {
        Automaton custom = new Automaton() {
            @Override
            public String state() {
                return "B";
            }

            @Override
            public Set<String> states() {
                return Set.of("B", "A");
            }

            @Override
            public Decision onEvent(Event event, TargetContext context) {
                throw new UnsupportedOperationException();
            }
        };

        assertThat(names(custom.describe())).containsExactly("A", "B");
        assertThat(custom.describe().transitions()).isEmpty();
    }

    @Test
    void aTransitionToAnUnlistedStateIsRefused() {
        assertThatThrownBy(() -> new StateDiagram(List.of(new StateDiagram.State("A", "")),
                List.of(new StateDiagram.Transition("A", "C", "always"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("transition A -> C names a state that is not in [A]");
    }

    private static StateDiagram describe(AutomatonFactory factory, int min, int max, Set<String> signals, Map<String, ?> settings) {
        return factory.create(Specs.spec(min, max, signals, settings), Specs.pluginContext()).describe();
    }

    private static List<String> names(StateDiagram diagram) {
        return diagram.states().stream().map(StateDiagram.State::name).toList();
    }

    private static List<String> edges(StateDiagram diagram) {
        return diagram.transitions().stream().map(t -> t.from() + " -> " + t.to() + ": " + t.guard())
                .collect(Collectors.toList());
    }
}
