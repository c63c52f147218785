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
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * {@code latency-band}: scales on a latency signal (e.g. a p95 from Tempo) against a band learnt
 * from its own recent history, after the rule of the SCALE project. The rule, exactly:
 *
 * <ol>
 *   <li>A <b>sample</b> is a known value of {@code signal} newer (by its timestamp) than the last
 *       sample, seen on a SignalChanged for the signal or on a Tick (the gateway counters change
 *       without SignalChanged). Unknown values are no samples: the replicas are held.
 *   <li><b>EWMA</b>: {@code e = alpha * x + (1 - alpha) * e}; the first sample sets {@code e = x}.
 *   <li><b>Band</b>: over the previous {@code history} EWMA values (not including the new one),
 *       {@code centre} = their 75th percentile (linear interpolation between closest ranks, rank
 *       {@code 0.75 * (n - 1)}) and {@code sigma} = their population standard deviation; the band is
 *       {@code [centre - sigmas * sigma, centre + sigmas * sigma]}. Until {@code history} EWMA values
 *       exist the automaton is WARMING_UP and holds.
 *   <li><b>Decision</b>: {@code e} above the band: {@code step} replicas more; below: {@code step}
 *       fewer; inside (bounds included): no change. Always within the bounds, and at most one
 *       change per {@code cooldown}. The new EWMA then joins the history, dropping the oldest.
 * </ol>
 *
 * <p>Current replicas are the last decided count; Start adopts the observed replicas.
 *
 * <table>
 *   <caption>latency-band</caption>
 *   <tr><th>state</th><th>event</th><th>effect, next state</th></tr>
 *   <tr><td>any</td><td>Start</td><td>adopt observed replicas; WARMING_UP until history is full</td></tr>
 *   <tr><td>WARMING_UP</td><td>sample</td><td>record; TRACKING once history values exist</td></tr>
 *   <tr><td>TRACKING</td><td>sample outside the band</td><td>step; COOLDOWN</td></tr>
 *   <tr><td>TRACKING</td><td>sample inside the band, or at a bound</td><td>keep; TRACKING</td></tr>
 *   <tr><td>COOLDOWN</td><td>sample before the cooldown ends</td><td>record, keep; COOLDOWN</td></tr>
 *   <tr><td>any</td><td>RequestsChanged, ObservedChanged, ObservationFailed, ReplicaFailed, Drained,
 *       ActuationFailed, SignalChanged of another signal</td><td>keep (routing follows ready endpoints)</td></tr>
 *   <tr><td>any</td><td>TimerFired, or anything before Start</td><td>illegal</td></tr>
 * </table>
 */
final class LatencyBandAutomaton implements Automaton {
    static final String TYPE = "latency-band";
    static final String WARMING_UP = "WARMING_UP";
    static final String TRACKING = "TRACKING";
    static final String COOLDOWN = "COOLDOWN";

    private final String signal;
    private final double alpha;
    private final int history;
    private final double sigmas;
    private final int step;
    private final Duration cooldown;
    private final ReplicaBounds bounds;
    private final Deque<Double> ewmas = new ArrayDeque<>();
    private double ewma = Double.NaN;
    private @Nullable Instant lastSampleAt;
    private @Nullable Instant cooldownUntil;
    private @Nullable Decision last;
    private String state = WARMING_UP;

    LatencyBandAutomaton(String signal, double alpha, int history, double sigmas, int step, Duration cooldown, ReplicaBounds bounds) {
        if (!(alpha > 0 && alpha <= 1) || history < 2 || !(sigmas > 0) || step < 1) {
            throw new IllegalArgumentException("alpha in (0, 1], history >= 2, sigmas > 0, step >= 1");
        }
        this.signal = requireNonNull(signal, "signal is null");
        this.alpha = alpha;
        this.history = history;
        this.sigmas = sigmas;
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
        return Set.of(WARMING_UP, TRACKING, COOLDOWN);
    }

    @Override
    public StateDiagram describe() {
        return new StateDiagram(List.of(
                new StateDiagram.State(WARMING_UP, "learning the band of " + signal + "; replicas held"),
                new StateDiagram.State(TRACKING, bounds.min() + ".." + bounds.max() + " replicas against the band"),
                new StateDiagram.State(COOLDOWN, "no change for " + Durations.format(cooldown))), List.of(
                new StateDiagram.Transition(WARMING_UP, TRACKING, history + " EWMA values of " + signal + " seen"),
                new StateDiagram.Transition(TRACKING, COOLDOWN, "EWMA (alpha " + alpha + ") outside p75 +/- " + sigmas
                        + " sigma: +/-" + step),
                new StateDiagram.Transition(COOLDOWN, TRACKING, "cooldown " + Durations.format(cooldown) + " passed")));
    }

    @Override
    public Decision onEvent(Event event, TargetContext context) {
        Decision previous = Policies.previous(TYPE, last, event);
        Decision next = switch (event) {
            case Event.Start start -> Policies.keepObserved(context, bounds, start);
            case Event.Tick tick -> sample(context, requireNonNull(previous));
            case Event.SignalChanged changed -> changed.signal().equals(signal)
                    ? sample(context, requireNonNull(previous))
                    : Policies.refresh(context, requireNonNull(previous));
            default -> Policies.unchanged(TYPE, state, event, context, previous);
        };
        if (ewmas.size() < history) {
            state = WARMING_UP;
        } else {
            state = cooldownUntil != null && context.now().isBefore(cooldownUntil) ? COOLDOWN : TRACKING;
        }
        last = next;
        return next;
    }

    private Decision sample(TargetContext context, Decision previous) {
        int current = bounds.clamp(context.desiredReplicas());
        return switch (context.signal(signal)) {
            case SignalValue.Unknown unknown -> Policies.decide(context, current,
                    signal + " unknown (" + unknown.reason() + "); holding " + Policies.replicas(current));
            case SignalValue.Known known -> {
                if (lastSampleAt != null && !known.at().isAfter(lastSampleAt)) {
                    yield Policies.refresh(context, previous);
                }
                lastSampleAt = known.at();
                ewma = Double.isNaN(ewma) ? known.value() : alpha * known.value() + (1 - alpha) * ewma;
                String shown = signal + " ewma " + Policies.value(ewma);
                if (ewmas.size() < history) {
                    ewmas.addLast(ewma);
                    yield Policies.decide(context, current, shown + ", warming up (" + ewmas.size() + " of " + history
                            + " samples) -> keep " + Policies.replicas(current));
                }
                double[] band = band();
                ewmas.pollFirst();
                ewmas.addLast(ewma);
                String where = " [" + Policies.value(band[0]) + ", " + Policies.value(band[1]) + "]";
                int wanted;
                String why;
                if (ewma > band[1]) {
                    wanted = bounds.clamp(current + step);
                    why = shown + " above band" + where;
                } else if (ewma < band[0]) {
                    wanted = bounds.clamp(current - step);
                    why = shown + " below band" + where;
                } else {
                    yield Policies.decide(context, current, shown + " within band" + where + " -> keep "
                            + Policies.replicas(current));
                }
                Instant now = context.now();
                if (wanted == current) {
                    yield Policies.decide(context, current, why + " but already at "
                            + (ewma > band[1] ? "max " : "min ") + current);
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

    /** {lower, upper} over the current EWMA history. */
    private double[] band() {
        double[] values = ewmas.stream().mapToDouble(Double::doubleValue).toArray();
        double mean = Arrays.stream(values).average().orElseThrow();
        double variance = Arrays.stream(values).map(v -> (v - mean) * (v - mean)).sum() / values.length;
        double width = sigmas * Math.sqrt(variance);
        double centre = percentile75(values);
        return new double[] {centre - width, centre + width};
    }

    static double percentile75(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        double rank = 0.75 * (sorted.length - 1);
        int below = (int) Math.floor(rank);
        int above = Math.min(below + 1, sorted.length - 1);
        return sorted[below] + (rank - below) * (sorted[above] - sorted[below]);
    }
}
