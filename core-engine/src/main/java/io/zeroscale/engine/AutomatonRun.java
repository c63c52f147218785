package io.zeroscale.engine;

import io.zeroscale.engine.automaton.NeedsTicks;
import io.zeroscale.engine.history.PlannedPrewake;
import io.zeroscale.engine.history.PlansPrewakes;
import io.zeroscale.engine.history.SeasonalForecast;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.spi.automaton.StateDiagram;
import io.zeroscale.spi.automaton.TargetContext;
import java.util.List;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A target's automaton, from the {@code Start} it was given with the first observation until it
 * is started over. A daemon that gains leadership starts it over ({@link #restart()}): a fresh
 * automaton waits for a fresh observation, and every part that remembers what was decided or asked
 * (timers, the applied decision, the requested replicas, a change missed while paused) forgets it,
 * so nothing decided as a follower, or long ago as a leader, is taken as applied. Confined to the
 * target's actor, except the read-only views the engine's planner and dashboard take on any thread.
 */
final class AutomatonRun {
    private static final Logger log = LoggerFactory.getLogger(AutomatonRun.class);

    /** What the run needs of its target's actor. */
    interface Target {
        void journal(JournalEntry.Kind kind, String message);
    }

    private final String name;
    private final Supplier<Automaton> fresh;
    private final List<Runnable> forgetOnRestart;
    private final Target target;
    private volatile Automaton automaton;
    /** describe() failed once: logged then, not on every look at the diagram. */
    private volatile boolean describeFailed;
    private boolean started;

    /**
     * @param fresh makes the automaton a restart starts from
     * @param forgetOnRestart what each part that remembers decisions forgets on a restart
     */
    AutomatonRun(String name, Automaton automaton, Supplier<Automaton> fresh, List<Runnable> forgetOnRestart, Target target) {
        this.name = name;
        this.automaton = automaton;
        this.fresh = fresh;
        this.forgetOnRestart = List.copyOf(forgetOnRestart);
        this.target = target;
    }

    /** True once the automaton was given {@code Start}. */
    boolean started() {
        return started;
    }

    /** The first observation arrived: the automaton gets {@code Start}. */
    void start() {
        started = true;
    }

    String state() {
        return automaton.state();
    }

    /** The automaton's decision on {@code event}, or null when it rejected the event (logged and journalled). */
    @Nullable Decision decide(Event event, TargetContext context) {
        String before = automaton.state();
        try {
            return automaton.onEvent(event, context);
        } catch (ZeroscaleException e) {
            log.error("target {}: automaton rejected {} in state {}", name, event, before, e);
            target.journal(JournalEntry.Kind.SAFETY, "automaton error in " + before + ": " + e.getMessage());
            return null;
        }
    }

    /** Nothing decided before is taken as applied: a fresh automaton starts once observed again. */
    void restart() {
        forgetOnRestart.forEach(Runnable::run);
        automaton = fresh.get();
        started = false;
    }

    /** Whether a tick could change the automaton's decision (see {@link NeedsTicks}); automata that do not say always could. */
    boolean needsTicks(TargetContext context) {
        return !(automaton instanceof NeedsTicks needs) || needs.needsTicks(context);
    }

    /**
     * The automaton's diagram, described when asked (the dashboard asks for one target at a
     * time): kept per target it cost about 700 bytes each, 70 MB with 100,000 targets, for a
     * view rarely opened. A fresh automaton has the same spec, so the same diagram. Any thread.
     */
    StateDiagram diagram() {
        return describe(automaton);
    }

    /** The pre-wake the automaton planned, if it plans any; any thread. */
    @Nullable PlannedPrewake plannedPrewake() {
        return automaton instanceof PlansPrewakes planning ? planning.plannedPrewake() : null;
    }

    /** The automaton's seasonal forecast settings, if it makes one; any thread. */
    SeasonalForecast.@Nullable Settings seasonalSettings() {
        return automaton instanceof PlansPrewakes planning ? planning.seasonalSettings() : null;
    }

    private StateDiagram describe(Automaton automaton) {
        try {
            return automaton.describe();
        } catch (RuntimeException e) {
            // A custom automaton's mistake costs its diagram's transitions, not its target.
            if (describeFailed) {
                return StateDiagram.ofStates(automaton.states());
            }
            describeFailed = true;
            log.warn("target {}: the automaton's describe() failed; the dashboard shows its states only", name, e);
            return StateDiagram.ofStates(automaton.states());
        }
    }
}
