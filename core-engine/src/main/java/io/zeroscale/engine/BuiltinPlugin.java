package io.zeroscale.engine;

import io.zeroscale.engine.automaton.LatencyBandAutomatonFactory;
import io.zeroscale.engine.automaton.ScheduleAutomatonFactory;
import io.zeroscale.engine.automaton.StepAutomatonFactory;
import io.zeroscale.engine.automaton.TargetTrackingAutomatonFactory;
import io.zeroscale.engine.automaton.ThresholdAutomatonFactory;
import io.zeroscale.engine.automaton.ZeroToNAutomatonFactory;
import io.zeroscale.engine.automaton.CustomAutomatonFactory;
import io.zeroscale.engine.process.ProcessOrchestratorFactory;
import io.zeroscale.spi.Plugin;
import io.zeroscale.spi.automaton.AutomatonFactory;
import io.zeroscale.spi.orchestrator.OrchestratorFactory;
import java.util.List;

/** What the engine brings itself: the built-in automata and the {@code process} orchestrator. */
public final class BuiltinPlugin implements Plugin {
    @Override
    public List<AutomatonFactory> automatonFactories() {
        return List.of(
                new ZeroToNAutomatonFactory(),
                ZeroToNAutomatonFactory.adaptive(),
                new TargetTrackingAutomatonFactory(),
                new ThresholdAutomatonFactory(),
                new StepAutomatonFactory(),
                new ScheduleAutomatonFactory(),
                new LatencyBandAutomatonFactory(),
                new CustomAutomatonFactory());
    }

    @Override
    public List<OrchestratorFactory> orchestratorFactories() {
        return List.of(new ProcessOrchestratorFactory());
    }
}
