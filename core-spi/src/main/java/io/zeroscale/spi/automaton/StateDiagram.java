package io.zeroscale.spi.automaton;

import static java.util.Objects.requireNonNull;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What an automaton looks like, for the dashboard's state diagram and for people: its states and
 * the transitions between them, each with its guard written out as text. It describes the automaton
 * as configured (thresholds and durations filled in), not its current state.
 *
 * @param states every state, the one it starts in first; drawn in this order
 * @param transitions every transition, each between two of {@code states} (the same one for a
 *     transition that stays in its state)
 */
public record StateDiagram(List<State> states, List<Transition> transitions) {
    public StateDiagram {
        states = List.copyOf(requireNonNull(states, "states is null"));
        transitions = List.copyOf(requireNonNull(transitions, "transitions is null"));
        Set<String> names = new HashSet<>();
        for (State state : states) {
            if (!names.add(state.name())) {
                throw new IllegalArgumentException("state " + state.name() + " is listed twice");
            }
        }
        for (Transition transition : transitions) {
            if (!names.contains(transition.from()) || !names.contains(transition.to())) {
                throw new IllegalArgumentException("transition " + transition.from() + " -> " + transition.to()
                        + " names a state that is not in " + names);
            }
        }
    }

    /** The states only, sorted by name: what is known of an automaton that describes no transitions. */
    public static StateDiagram ofStates(Collection<String> states) {
        return new StateDiagram(states.stream().sorted().map(name -> new State(name, "")).toList(), List.of());
    }

    /**
     * One state.
     *
     * @param name as {@link Automaton#state()} reports it
     * @param description what holds in it, e.g. "0 replicas; requests held", or empty
     */
    public record State(String name, String description) {
        public State {
            requireNonNull(name, "name is null");
            requireNonNull(description, "description is null");
            if (name.isBlank()) {
                throw new IllegalArgumentException("a state needs a name");
            }
        }
    }

    /**
     * One transition.
     *
     * @param from the state it leaves
     * @param to the state it enters
     * @param guard when it fires, e.g. "request held or signals.rps > 1.0", and what it does on the way
     */
    public record Transition(String from, String to, String guard) {
        public Transition {
            requireNonNull(from, "from is null");
            requireNonNull(to, "to is null");
            requireNonNull(guard, "guard is null");
        }
    }
}
