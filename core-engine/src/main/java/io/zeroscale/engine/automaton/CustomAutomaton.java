package io.zeroscale.engine.automaton;

import static io.zeroscale.spi.StandardErrorCode.ILLEGAL_TRANSITION;
import static java.util.Objects.requireNonNull;

import io.zeroscale.engine.automaton.CompiledExpression.Result;
import io.zeroscale.engine.automaton.CustomAutomatonDefinition.State;
import io.zeroscale.engine.automaton.CustomAutomatonDefinition.Transition;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.automaton.Action;
import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.spi.automaton.ReplicaBounds;
import io.zeroscale.spi.automaton.StateDiagram;
import io.zeroscale.spi.automaton.TargetContext;
import io.zeroscale.spi.orchestrator.ResourceProfile;
import io.zeroscale.spi.traffic.Routing;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One target's run of a {@link CustomAutomatonDefinition}. Every event re-evaluates the transitions that
 * leave the current state, in file order; the first enabled one fires, and the new state's
 * transitions are evaluated at once (so a chain of ready transitions completes in one event, and
 * a {@code for} clock starts the moment its state is entered). A state is entered at most once per
 * event, which bounds a cycle of always-true guards. The current state's replica expression is
 * evaluated on entry and again on every event, so {@code int(math.ceil(signals.rps / 10.0))}
 * tracks load while the state lasts.
 */
final class CustomAutomaton implements Automaton {
    private static final Logger log = LoggerFactory.getLogger(CustomAutomaton.class);

    private final CustomAutomatonDefinition policy;
    private final ReplicaBounds bounds;
    private final TargetRef target;
    /** Per transition index: since when its guard has held without a break, or null. */
    private final @Nullable Instant[] guardSince;
    /** Per transition index: the last evaluation failure logged, so a failing guard logs once. */
    private final @Nullable String[] lastFailure;

    private @Nullable String state;
    private Instant enteredAt = Instant.EPOCH;
    private int replicasAtEntry;
    private @Nullable ResourceProfile profile;
    private @Nullable Decision last;
    private @Nullable String lastReplicaFailure;

    CustomAutomaton(CustomAutomatonDefinition policy, ReplicaBounds bounds, TargetRef target) {
        this.policy = requireNonNull(policy, "policy is null");
        this.bounds = requireNonNull(bounds, "bounds is null");
        this.target = requireNonNull(target, "target is null");
        this.guardSince = new Instant[policy.transitions().size()];
        this.lastFailure = new String[policy.transitions().size()];
    }

    @Override
    public String state() {
        return state != null ? state : policy.initial();
    }

    @Override
    public Set<String> states() {
        return policy.states().keySet();
    }

    /**
     * The policy's own states (the initial one first, with its replica expression) and every
     * transition as the journal words it; a {@code from: "*"} transition is drawn from each state it
     * may leave.
     */
    @Override
    public StateDiagram describe() {
        List<StateDiagram.State> states = new ArrayList<>();
        List<String> order = new ArrayList<>(policy.states().keySet());
        order.remove(policy.initial());
        order.addFirst(policy.initial());
        List<StateDiagram.Transition> transitions = new ArrayList<>();
        for (String name : order) {
            State state = requireNonNull(policy.states().get(name));
            states.add(new StateDiagram.State(name, "replicas: " + state.replicas().source()
                    + (state.profile() == null ? "" : "; applies its resource profile")));
            for (Transition transition : policy.outgoing(name)) {
                String text = transition.describe(name);
                transitions.add(new StateDiagram.Transition(name, transition.to(),
                        text.substring(text.indexOf(": ") + 2) + (transition.alerts().isEmpty() ? "" : " (alert)")));
            }
        }
        return new StateDiagram(states, transitions);
    }

    @Override
    public Decision onEvent(Event event, TargetContext context) {
        switch (event) {
            case Event.Start start -> {
                return start(context);
            }
            // Guards read signals, counters, observed state and time, so any event may enable a
            // transition or change the replicas: all of them re-evaluate.
            case Event.Tick tick -> {}
            case Event.SignalChanged changed -> {}
            case Event.RequestsChanged changed -> {}
            case Event.ObservedChanged changed -> {}
            case Event.ObservationFailed failed -> {}
            case Event.ReplicaFailed failed -> {}
            case Event.TimerFired fired -> {}
            case Event.Drained drained -> {}
            case Event.ActuationFailed failed -> {}
        }
        if (state == null) {
            throw new ZeroscaleException(ILLEGAL_TRANSITION, target + ": custom automaton got " + event
                    + " before Start; the engine must deliver Start first");
        }
        return evaluate(context, new ArrayList<>());
    }

    private Decision start(TargetContext context) {
        if (state != null) {
            exit(context);
        }
        profile = null;
        last = null;
        enter(policy.initial(), context);
        List<String> reasons = new ArrayList<>();
        reasons.add("start in " + policy.initial());
        return evaluate(context, reasons);
    }

    /** {@code reasons} is non-empty when something already happened in this event (a start). */
    private Decision evaluate(TargetContext context, List<String> reasons) {
        String current = requireNonNull(state);
        Bindings bindings = new Bindings(context, policy.signalNames(), current);
        List<Action> actions = new ArrayList<>();
        Set<String> entered = new HashSet<>(Set.of(current));
        while (true) {
            Transition fired = firstEnabled(context, bindings);
            if (fired == null) {
                break;
            }
            String from = requireNonNull(state);
            exit(context);
            enter(fired.to(), context);
            bindings.state(fired.to());
            reasons.add(fired.describe(from));
            actions.addAll(fired.alerts());
            if (fired.profile() != null) {
                profile = fired.profile();
            }
            if (!entered.add(fired.to())) {
                // A self-transition re-enters its state once per event by design; anything else
                // coming back is a cycle of guards that are all true, and the reason should say so.
                if (!from.equals(fired.to())) {
                    reasons.add("stopped: '" + fired.to() + "' was entered twice in one event; guards that are"
                            + " all true form a cycle");
                }
                break;
            }
        }
        State now = requireNonNull(policy.states().get(state));
        Replicas replicas = replicas(now, context, bindings);
        boolean forward = replicas.value() > 0 && !context.observed().readyEndpoints().isEmpty();
        Routing routing = forward ? Routing.FORWARD : Routing.HOLD;
        Decision previous = last;
        String reason;
        if (!reasons.isEmpty()) {
            if (replicas.held()) {
                reasons.add(replicas.note());
            }
            reason = String.join("; ", reasons);
        } else if (previous != null && previous.replicas() == replicas.value()
                && previous.routing() == routing && Objects.equals(previous.profile(), profile)) {
            // Nothing changed: the same decision says "no change" and carries no action twice.
            return previous;
        } else {
            reason = inStateReason(previous, replicas, routing, context);
        }
        Decision next = new Decision(replicas.value(), routing, false, profile, reason, List.of());
        last = next;
        return actions.isEmpty() ? next : new Decision(replicas.value(), routing, false, profile, reason, actions);
    }

    private String inStateReason(@Nullable Decision previous, Replicas replicas, Routing routing, TargetContext context) {
        List<String> parts = new ArrayList<>();
        if (previous == null || previous.replicas() != replicas.value() || replicas.held()) {
            parts.add(replicas.note());
        }
        if (previous == null || previous.routing() != routing) {
            int endpoints = context.observed().readyEndpoints().size();
            parts.add(routing == Routing.FORWARD
                    ? "forwarding to " + endpoints + " ready endpoint" + (endpoints == 1 ? "" : "s")
                    : replicas.value() == 0 ? "holding requests: no replica wanted" : "holding requests: no ready endpoint");
        }
        if (parts.isEmpty()) {
            parts.add("profile " + (profile == null ? "unset" : profile.name()));
        }
        return state + ": " + String.join("; ", parts);
    }

    private @Nullable Transition firstEnabled(TargetContext context, Bindings bindings) {
        for (Transition transition : policy.outgoing(requireNonNull(state))) {
            if (enabled(transition, context, bindings)) {
                return transition;
            }
        }
        return null;
    }

    private boolean enabled(Transition transition, TargetContext context, Bindings bindings) {
        Instant now = context.now();
        boolean afterElapsed = transition.after() == null || !now.isBefore(enteredAt.plus(transition.after()));
        CompiledExpression when = transition.when();
        if (when == null) {
            return afterElapsed;
        }
        if (transition.holdFor() == null) {
            return afterElapsed && guard(transition, when, bindings);
        }
        // A `for` clock runs whether or not `after` has elapsed, so the two can overlap.
        int index = transition.index();
        if (!guard(transition, when, bindings)) {
            if (guardSince[index] != null) {
                guardSince[index] = null;
                context.timers().cancel(transition.forTimer());
            }
            return false;
        }
        Instant since = guardSince[index];
        if (since == null) {
            since = now;
            guardSince[index] = since;
            if (!transition.holdFor().isZero()) {
                // Fires exactly when the guard will have held long enough, between ticks.
                context.timers().set(transition.forTimer(), transition.holdFor());
            }
        }
        return afterElapsed && !now.isBefore(since.plus(transition.holdFor()));
    }

    private boolean guard(Transition transition, CompiledExpression when, Bindings bindings) {
        Result result = when.evaluate(bindings);
        switch (result) {
            case Result.Value value -> {
                lastFailure[transition.index()] = null;
                return Boolean.TRUE.equals(value.value());
            }
            case Result.Unknown unknown -> {
                lastFailure[transition.index()] = null;
                return false;
            }
            case Result.Failed failed -> {
                if (!failed.message().equals(lastFailure[transition.index()])) {
                    lastFailure[transition.index()] = failed.message();
                    log.warn("{}: guard '{}' of transitions[{}] failed and counts as not satisfied: {}",
                            target, when.source(), transition.index(), failed.message());
                }
                return false;
            }
        }
    }

    private record Replicas(int value, boolean held, String note) {}

    private Replicas replicas(State current, TargetContext context, Bindings bindings) {
        int desired = context.desiredReplicas();
        CompiledExpression expression = current.replicas();
        bindings.replicas((long) replicasAtEntry);
        Result result = expression.evaluate(bindings);
        bindings.replicas(null);
        return switch (result) {
            case Result.Value value when value.value() instanceof Long raw -> {
                lastReplicaFailure = null;
                int clamped = (int) Math.max(bounds.min(), Math.min(bounds.max(), raw));
                String note = "replicas " + clamped + " = " + expression.source()
                        + (clamped != raw ? " (" + raw + ", clamped to [" + bounds.min() + ", " + bounds.max() + "])" : "");
                yield new Replicas(clamped, false, note);
            }
            case Result.Value value -> {
                throw new IllegalStateException("replicas of " + current.name() + " evaluated to " + value.value()
                        + " although it was checked to be an int");
            }
            case Result.Unknown unknown -> new Replicas(bounds.clamp(desired), true,
                    "replicas held at " + bounds.clamp(desired) + ": " + expression.source() + " needs "
                            + unknown.detail());
            case Result.Failed failed -> {
                if (!failed.message().equals(lastReplicaFailure)) {
                    lastReplicaFailure = failed.message();
                    log.warn("{}: replicas '{}' of state {} failed, holding {}: {}",
                            target, expression.source(), current.name(), desired, failed.message());
                }
                yield new Replicas(bounds.clamp(desired), true,
                        "replicas held at " + bounds.clamp(desired) + ": " + expression.source() + " failed: "
                                + failed.message());
            }
        };
    }

    private void enter(String next, TargetContext context) {
        state = next;
        enteredAt = context.now();
        replicasAtEntry = context.desiredReplicas();
        State entered = requireNonNull(policy.states().get(next));
        if (entered.profile() != null) {
            profile = entered.profile();
        }
        for (Transition transition : policy.outgoing(next)) {
            if (transition.after() != null && !transition.after().isZero()) {
                context.timers().set(transition.afterTimer(), transition.after());
            }
        }
    }

    private void exit(TargetContext context) {
        for (Transition transition : policy.outgoing(requireNonNull(state))) {
            if (guardSince[transition.index()] != null) {
                guardSince[transition.index()] = null;
                context.timers().cancel(transition.forTimer());
            }
            if (transition.after() != null) {
                context.timers().cancel(transition.afterTimer());
            }
        }
    }
}
