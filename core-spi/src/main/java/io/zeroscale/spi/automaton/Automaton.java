package io.zeroscale.spi.automaton;

import java.util.Set;

/**
 * A target's policy: a state machine whose transitions are guarded by events, signals, timers and
 * observed state. One instance per target; the engine calls it from the target's actor, one event
 * at a time, so it needs no locks. It must not block or read the wall clock: time comes from
 * {@link TargetContext#now()} and delays from {@link Timers}.
 *
 * <p>The engine enforces the safety rules around every automaton (bounds, no scale to zero on
 * unknown data or with requests pending); an automaton need not re-check them but must not rely on
 * them being violated.
 */
public interface Automaton {
    /** The current state's name, e.g. {@code ACTIVE}; shown in the journal and dashboard. */
    String state();

    /** Every state this automaton can be in, for diagrams and validation. */
    Set<String> states();

    /**
     * The states and transitions as configured, for the dashboard's state diagram. Called once
     * when the target is added, from any thread: it must depend on the configuration only. The
     * default lists {@link #states()} without transitions; automata with a transition table
     * override it.
     */
    default StateDiagram describe() {
        return StateDiagram.ofStates(states());
    }

    /**
     * Handles {@code event} and returns the decision that holds after it. Returning the same
     * decision as before is how an automaton says "no change".
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code ILLEGAL_TRANSITION} when the event cannot
     *     happen in the current state per the automaton's transition table
     */
    Decision onEvent(Event event, TargetContext context);
}
