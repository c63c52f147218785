package io.zeroscale.engine.automaton;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Durations;
import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.spi.automaton.ReplicaBounds;
import io.zeroscale.spi.automaton.StateDiagram;
import io.zeroscale.spi.automaton.TargetContext;
import io.zeroscale.spi.metrics.SignalValue;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * {@code threshold}: on every tick, one {@code step} up while the signal is above {@code
 * scale-up-above}, one step down while it is below {@code scale-down-below}, at most one change per
 * {@code cooldown}, always within the bounds. Between the two thresholds nothing changes. The
 * signal is read on ticks only, so the step rate is "one per tick" however often it is pushed.
 *
 * <p>Current replicas are the last decided count ({@link TargetContext#desiredReplicas()}); Start
 * adopts the observed replicas (within bounds) without stepping.
 *
 * <table>
 *   <caption>threshold</caption>
 *   <tr><th>state</th><th>event</th><th>effect, next state</th></tr>
 *   <tr><td>any</td><td>Start</td><td>adopt observed replicas; TRACKING</td></tr>
 *   <tr><td>TRACKING</td><td>Tick, signal beyond a threshold</td><td>step; COOLDOWN</td></tr>
 *   <tr><td>TRACKING</td><td>Tick, signal between thresholds, unknown, or at a bound</td><td>keep; TRACKING</td></tr>
 *   <tr><td>COOLDOWN</td><td>Tick before the cooldown ends</td><td>keep; COOLDOWN</td></tr>
 *   <tr><td>COOLDOWN</td><td>Tick after it ends</td><td>as TRACKING</td></tr>
 *   <tr><td>any</td><td>SignalChanged, RequestsChanged, ObservedChanged, ObservationFailed,
 *       ReplicaFailed, Drained, ActuationFailed</td><td>keep (routing follows ready endpoints)</td></tr>
 *   <tr><td>any</td><td>TimerFired, or anything before Start</td><td>illegal</td></tr>
 * </table>
 */
final class ThresholdAutomaton implements Automaton {
    static final String TYPE = "threshold";
    static final String TRACKING = "TRACKING";
    static final String COOLDOWN = "COOLDOWN";

    private final String signal;
    private final double scaleUpAbove;
    private final double scaleDownBelow;
    private final int step;
    private final Duration cooldown;
    private final ReplicaBounds bounds;
    private @Nullable Instant cooldownUntil;
    private @Nullable Decision last;
    private String state = TRACKING;

    ThresholdAutomaton(String signal, double scaleUpAbove, double scaleDownBelow, int step, Duration cooldown, ReplicaBounds bounds) {
        if (!(scaleDownBelow < scaleUpAbove)) {
            throw new IllegalArgumentException("scale-down-below must be below scale-up-above");
        }
        this.signal = requireNonNull(signal, "signal is null");
        this.scaleUpAbove = scaleUpAbove;
        this.scaleDownBelow = scaleDownBelow;
        this.step = step;
        this.cooldown = requireNonNull(cooldown, "cooldown is null");
        this.bounds = requireNonNull(bounds, "bounds is null");
    }

    @Override
    public String state() {
        return state;
    }

    @Override
    public Set<String> states() {
        return Set.of(TRACKING, COOLDOWN);
    }

    @Override
    public StateDiagram describe() {
        return new StateDiagram(List.of(
                new StateDiagram.State(TRACKING, bounds.min() + ".." + bounds.max() + " replicas, checked every tick"),
                new StateDiagram.State(COOLDOWN, "no change for " + Durations.format(cooldown))), List.of(
                new StateDiagram.Transition(TRACKING, COOLDOWN, signal + " > " + scaleUpAbove + ": +" + step + "; "
                        + signal + " < " + scaleDownBelow + ": -" + step),
                new StateDiagram.Transition(COOLDOWN, TRACKING, "cooldown " + Durations.format(cooldown) + " passed")));
    }

    @Override
    public Decision onEvent(Event event, TargetContext context) {
        Decision previous = Policies.previous(TYPE, last, event);
        Decision next = switch (event) {
            case Event.Start start -> Policies.keepObserved(context, bounds, start);
            case Event.Tick tick -> evaluate(context);
            default -> Policies.unchanged(TYPE, state, event, context, previous);
        };
        state = cooldownUntil != null && context.now().isBefore(cooldownUntil) ? COOLDOWN : TRACKING;
        last = next;
        return next;
    }

    private Decision evaluate(TargetContext context) {
        int current = bounds.clamp(context.desiredReplicas());
        Instant now = context.now();
        return switch (context.signal(signal)) {
            case SignalValue.Unknown unknown -> Policies.decide(context, current,
                    signal + " unknown (" + unknown.reason() + "); holding " + Policies.replicas(current));
            case SignalValue.Known known -> {
                double value = known.value();
                String shown = signal + " " + Policies.value(value);
                int wanted;
                String why;
                if (value > scaleUpAbove) {
                    wanted = bounds.clamp(current + step);
                    why = shown + " above " + Policies.number(scaleUpAbove);
                } else if (value < scaleDownBelow) {
                    wanted = bounds.clamp(current - step);
                    why = shown + " below " + Policies.number(scaleDownBelow);
                } else {
                    yield Policies.decide(context, current, shown + " within [" + Policies.number(scaleDownBelow) + ", "
                            + Policies.number(scaleUpAbove) + "] -> keep " + Policies.replicas(current));
                }
                if (wanted == current) {
                    yield Policies.decide(context, current, why + " but already at "
                            + (value > scaleUpAbove ? "max " : "min ") + current);
                }
                if (cooldownUntil != null && now.isBefore(cooldownUntil)) {
                    yield Policies.decide(context, current, why + "; cooling down for "
                            + Policies.duration(Duration.between(now, cooldownUntil)) + ", keeping "
                            + Policies.replicas(current));
                }
                cooldownUntil = now.plus(cooldown);
                yield Policies.decide(context, wanted, why + " -> " + Policies.replicas(wanted));
            }
        };
    }
}
