package io.zeroscale.engine.automaton;

import static io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID;
import static io.zeroscale.spi.StandardErrorCode.POLICY_INVALID;
import static java.util.Objects.requireNonNull;

import io.zeroscale.engine.automaton.CelExpressions.Kind;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.ConfigProblems;
import io.zeroscale.spi.Durations;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.automaton.Action;
import io.zeroscale.spi.automaton.ReservedSignals;
import io.zeroscale.spi.orchestrator.ResourceProfile;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * A validated custom automaton: its states and transition table, with every expression compiled.
 * Immutable, so targets with the same policy share one.
 *
 * @param initial the state a target starts in
 * @param states every state by name, in file order
 * @param transitions every transition, in file order ({@link Transition#index()} is the position)
 * @param outgoing per state, the transitions that may leave it, in file order (explicit ones and
 *     {@code from: "*"} ones that lead elsewhere)
 * @param signalNames the signals expressions read, i.e. what an evaluation must look up
 */
record CustomAutomatonDefinition(
        String initial,
        Map<String, State> states,
        List<Transition> transitions,
        Map<String, List<Transition>> outgoing,
        Set<String> signalNames) {
    static final String ANY_STATE = "*";
    private static final Set<String> KEYS = Set.of("initial", "states", "transitions");
    private static final Set<String> STATE_KEYS = Set.of("replicas", "profile");
    private static final Set<String> TRANSITION_KEYS = Set.of("from", "to", "when", "for", "after", "actions");
    private static final Set<String> ACTION_KEYS = Set.of("alert", "severity", "profile");

    CustomAutomatonDefinition {
        requireNonNull(initial, "initial is null");
        states = Collections.unmodifiableMap(new LinkedHashMap<>(states));
        transitions = List.copyOf(transitions);
        outgoing = Map.copyOf(outgoing);
        signalNames = Set.copyOf(signalNames);
    }

    /**
     * One state.
     *
     * @param name its name
     * @param replicas the desired replicas while in it (an int expression)
     * @param profile the resource profile it applies on entry, or null to keep the current one
     */
    record State(String name, CompiledExpression replicas, @Nullable ResourceProfile profile) {
        State {
            requireNonNull(name, "name is null");
            requireNonNull(replicas, "replicas is null");
        }
    }

    /**
     * One row of the transition table.
     *
     * @param index position in the file, which names its timers
     * @param from the source state, or {@code *} for any state
     * @param to the target state
     * @param when the guard, or null for none
     * @param holdFor how long {@code when} must hold continuously, or null
     * @param after how long the automaton must have been in the source state, or null
     * @param alerts alerts to send when it fires
     * @param profile resource profile to apply when it fires, or null
     */
    record Transition(
            int index,
            String from,
            String to,
            @Nullable CompiledExpression when,
            @Nullable Duration holdFor,
            @Nullable Duration after,
            List<Action> alerts,
            @Nullable ResourceProfile profile) {
        Transition {
            requireNonNull(from, "from is null");
            requireNonNull(to, "to is null");
            alerts = List.copyOf(alerts);
            if (when == null && after == null) {
                throw new IllegalArgumentException("a transition needs when or after");
            }
        }

        String forTimer() {
            return "for:" + index;
        }

        String afterTimer() {
            return "after:" + index;
        }

        /** "warm -> busy: signals.rps > 20.0 held for 30s", leaving {@code source}. */
        String describe(String source) {
            StringBuilder out = new StringBuilder(source).append(" -> ").append(to).append(": ");
            if (when != null) {
                out.append(when.source());
                if (holdFor != null) {
                    out.append(" held for ").append(Durations.format(holdFor));
                }
            }
            if (after != null) {
                out.append(when != null ? " after " : "")
                        .append(Durations.format(after))
                        .append(" in ")
                        .append(source);
            }
            return out.toString();
        }
    }

    List<Transition> outgoing(String state) {
        return outgoing.getOrDefault(state, List.of());
    }

    /**
     * Reads and validates a custom automaton's settings.
     *
     * @param configuredSignals the target's configured signal names (reserved ones are added)
     * @throws ZeroscaleException {@code POLICY_INVALID} naming the path and the fix
     */
    static CustomAutomatonDefinition parse(Config settings, Set<String> configuredSignals) {
        try {
            return read(settings, configuredSignals);
        } catch (ZeroscaleException e) {
            // Config reports its own findings as CONFIG_INVALID; here they are all policy problems.
            if (e.errorCode() == CONFIG_INVALID) {
                throw new ZeroscaleException(POLICY_INVALID, e.problems(), e);
            }
            throw e;
        }
    }

    static ZeroscaleException invalid(String path, String problem) {
        return new ZeroscaleException(POLICY_INVALID, path + ": " + problem);
    }

    private static CustomAutomatonDefinition read(Config settings, Set<String> configuredSignals) {
        // Every state and transition is checked even after one fails, so a policy's mistakes are
        // reported together; the whole-graph checks (reachability) run once the parts are sound.
        ConfigProblems problems = new ConfigProblems();
        problems.attempt(() -> settings.requireOnlyKeys(KEYS));
        Set<String> knownSignals = new TreeSet<>(configuredSignals);
        knownSignals.addAll(ReservedSignals.ALL);

        if (!settings.has("states")) {
            problems.add(invalid(settings.pathOf("states"), "required key is missing; define the states, e.g."
                    + " states: { idle: { replicas: \"0\" }, active: { replicas: \"1\" } }"));
            problems.throwIfAny();
        }
        Config statesNode = settings.requireChild("states");
        if (statesNode.keys().isEmpty()) {
            problems.add(invalid(statesNode.path(), "define at least one state, e.g. idle: { replicas: \"0\" }"));
            problems.throwIfAny();
        }
        // the names as written, so a transition into a state whose settings are wrong is not also
        // reported as going to an unknown state
        Set<String> names = new LinkedHashSet<>(statesNode.keys());
        Map<String, State> states = new LinkedHashMap<>();
        for (String name : names) {
            problems.attempt(() -> readState(statesNode, name, knownSignals)).ifPresent(state -> states.put(name, state));
        }

        String initial = problems.attempt(() -> initial(settings, names)).orElse(null);

        List<Config> transitionNodes = problems.attempt(() -> list(settings, "transitions")).orElse(List.of());
        List<Transition> transitions = new ArrayList<>();
        for (int i = 0; i < transitionNodes.size(); i++) {
            int index = i;
            problems.attempt(() -> readTransition(index, transitionNodes.get(index), names, knownSignals))
                    .ifPresent(transitions::add);
        }
        problems.throwIfAny();
        requireNonNull(initial, "initial is null although no problem was found");

        Map<String, List<Transition>> outgoing = new LinkedHashMap<>();
        for (String state : states.keySet()) {
            List<Transition> leaving = new ArrayList<>();
            for (Transition transition : transitions) {
                boolean explicit = transition.from().equals(state);
                boolean wildcard = transition.from().equals(ANY_STATE) && !transition.to().equals(state);
                if (explicit || wildcard) {
                    leaving.add(transition);
                }
            }
            outgoing.put(state, List.copyOf(leaving));
        }
        requireReachable(statesNode, initial, states.keySet(), outgoing);

        Set<String> signalNames = new HashSet<>();
        List<CompiledExpression> expressions = new ArrayList<>();
        states.values().forEach(state -> expressions.add(state.replicas()));
        transitions.stream().map(Transition::when).filter(when -> when != null).forEach(expressions::add);
        for (CompiledExpression expression : expressions) {
            if (expression.readsAnySignal()) {
                signalNames.addAll(knownSignals);
            }
            signalNames.addAll(expression.signals());
        }
        return new CustomAutomatonDefinition(initial, states, transitions, outgoing, signalNames);
    }

    private static String initial(Config settings, Set<String> states) {
        String initial = settings.string("initial")
                .orElseThrow(() -> invalid(settings.pathOf("initial"), "required key is missing; add the state to start in,"
                        + " one of " + new TreeSet<>(states)));
        if (!states.contains(initial)) {
            throw invalid(settings.pathOf("initial"), unknownState(initial, states));
        }
        return initial;
    }

    private static State readState(Config statesNode, String name, Set<String> knownSignals) {
        if (name.equals(ANY_STATE)) {
            throw invalid(statesNode.pathOf(name), "'*' means \"any state\" in a transition's from and cannot name a"
                    + " state; rename it");
        }
        Config node = statesNode.child(name).requireOnlyKeys(STATE_KEYS);
        // Without an expression a state keeps whatever replicas the target has.
        String replicas = node.string("replicas", CelExpressions.REPLICAS);
        CompiledExpression expression =
                CelExpressions.compile(node.pathOf("replicas"), replicas, Kind.REPLICAS, knownSignals);
        ResourceProfile profile =
                node.optionalChild("profile").map(p -> Profiles.read(p, name)).orElse(null);
        return new State(name, expression, profile);
    }

    private static Transition readTransition(int index, Config node, Set<String> states, Set<String> knownSignals) {
        node.requireOnlyKeys(TRANSITION_KEYS);
        String from = node.string("from")
                .orElseThrow(() -> invalid(node.pathOf("from"), "required key is missing; add the state this transition"
                        + " leaves, or \"*\" for any state"));
        if (!from.equals(ANY_STATE) && !states.contains(from)) {
            throw invalid(node.pathOf("from"), unknownState(from, states));
        }
        String to = node.string("to")
                .orElseThrow(() -> invalid(node.pathOf("to"), "required key is missing; add the state this transition"
                        + " enters"));
        if (!states.contains(to)) {
            throw invalid(node.pathOf("to"), unknownState(to, states));
        }
        CompiledExpression when = node.string("when")
                .map(source -> CelExpressions.compile(node.pathOf("when"), source, Kind.GUARD, knownSignals))
                .orElse(null);
        Duration holdFor = node.duration("for").orElse(null);
        Duration after = node.duration("after").orElse(null);
        if (when == null && after == null) {
            throw invalid(node.path(), "needs a `when` guard or an `after` timeout; add one, e.g."
                    + " when: \"signals.rps > 1.0\" or after: 5m");
        }
        if (holdFor != null && when == null) {
            throw invalid(node.pathOf("for"), "`for` says how long the `when` guard must hold, and there is no"
                    + " `when`; add a `when` guard, or use `after` for time spent in the state");
        }
        List<Action> alerts = new ArrayList<>();
        ResourceProfile profile = null;
        List<Config> actions = list(node, "actions");
        for (Config action : actions) {
            action.requireOnlyKeys(ACTION_KEYS);
            boolean alert = action.has("alert");
            boolean resize = action.has("profile");
            if (alert == resize) {
                throw invalid(action.path(), "an action is either { alert: \"message\", severity: info|warning|critical }"
                        + " or { profile: { name, cpus, memory, gpus } }; write one of them per list item");
            }
            if (alert) {
                alerts.add(new Action.Alert(severity(action), action.requireString("alert")));
            } else {
                if (action.has("severity")) {
                    throw invalid(action.pathOf("severity"), "only an alert has a severity; remove it");
                }
                if (profile != null) {
                    throw invalid(action.pathOf("profile"), "a transition applies one profile; remove the extra one");
                }
                profile = Profiles.read(action.requireChild("profile"), to);
            }
        }
        return new Transition(index, from, to, when, holdFor, after, alerts, profile);
    }

    private static Action.Severity severity(Config action) {
        String text = action.string("severity", "warning");
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "info" -> Action.Severity.INFO;
            case "warning" -> Action.Severity.WARNING;
            case "critical" -> Action.Severity.CRITICAL;
            default -> {
                throw invalid(action.pathOf("severity"), "unknown severity '" + text + "'; "
                        + Config.didYouMean(text, Set.of("info", "warning", "critical")).orElse("write info, warning or critical"));
            }
        };
    }

    private static void requireReachable(
            Config statesNode, String initial, Set<String> states, Map<String, List<Transition>> outgoing) {
        Set<String> reached = new HashSet<>();
        Deque<String> pending = new ArrayDeque<>(List.of(initial));
        while (!pending.isEmpty()) {
            String state = pending.pop();
            if (reached.add(state)) {
                outgoing.getOrDefault(state, List.of()).forEach(t -> pending.push(t.to()));
            }
        }
        for (String state : states) {
            if (!reached.contains(state)) {
                throw invalid(statesNode.pathOf(state), "unreachable: no chain of transitions leads to it from the"
                        + " initial state '" + initial + "'; add a transition to '" + state + "' or remove the state");
            }
        }
    }

    private static String unknownState(String name, Set<String> states) {
        if (name.equals(ANY_STATE)) {
            return "'*' (any state) is only allowed in from; name the state to enter, one of " + new TreeSet<>(states);
        }
        return "unknown state '" + name + "'; " + Config.suggestion(name, states, "states are");
    }

    /** The mappings listed under {@code key}, each as a node at {@code path.key[i]}. */
    private static List<Config> list(Config parent, String key) {
        Object value = parent.asMap().get(key);
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List<?> items)) {
            throw invalid(parent.pathOf(key), "expected a list of mappings, got " + describe(value));
        }
        List<Config> out = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            String path = parent.pathOf(key) + "[" + i + "]";
            if (!(items.get(i) instanceof Map<?, ?> map)) {
                throw invalid(path, "expected a mapping, got " + describe(items.get(i)));
            }
            Map<String, Object> values = new LinkedHashMap<>();
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                if (!(entry.getKey() instanceof String name)) {
                    throw invalid(path, "keys must be strings, got " + entry.getKey());
                }
                values.put(name, entry.getValue());
            }
            out.add(Config.of(path, values));
        }
        return List.copyOf(out);
    }

    private static String describe(@Nullable Object value) {
        if (value instanceof Map) {
            return "a mapping";
        }
        if (value instanceof List) {
            return "a list";
        }
        return value instanceof String text ? "'" + text + "'" : String.valueOf(value);
    }
}
