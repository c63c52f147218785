package io.zeroscale.engine.automaton;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.ConfigProblems;
import io.zeroscale.spi.automaton.ReplicaBounds;
import io.zeroscale.spi.automaton.TargetContext;
import io.zeroscale.spi.metrics.SignalValue;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The Kubernetes HorizontalPodAutoscaler v2 algorithm for one signal, as a reusable object: the
 * {@code target-tracking} automaton is built on it, and {@code zero-to-n} uses it in its ACTIVE
 * state. Not thread-safe; like an automaton it is driven from one target's actor.
 *
 * <p>Each {@link #recommend} call does what one HPA sync does for one metric:
 *
 * <ol>
 *   <li><b>Formula.</b> With {@code per-replica: P} (HPA {@code AverageValue}) the signal is a total
 *       spread over the replicas: {@code desired = ceil(value / P)}. With {@code utilization: U} or
 *       {@code value: V} (HPA {@code Utilization}/{@code Value}) the signal is a per-replica level:
 *       {@code desired = ceil(current * value / target)}; a ratio target cannot size a workload
 *       that has no replicas, so at 0 it keeps 0 (waking from zero is the job of {@code
 *       zero-to-n}).
 *   <li><b>Tolerance.</b> No change while the usage ratio (value / target, or value / (P *
 *       current)) is within {@code [1 - down tolerance, 1 + up tolerance]}; 0.1 both ways by
 *       default (HPA's {@code --horizontal-pod-autoscaler-tolerance}; per direction as in
 *       Kubernetes 1.33's {@code behavior.scaleUp/scaleDown.tolerance}).
 *   <li><b>Stabilization.</b> Every raw recommendation is remembered with {@code ctx.now()}. The
 *       result is the current replicas pulled up to the lowest recommendation of the scale-up window
 *       and down to the highest of the scale-down window, so a scale-down only happens once every
 *       recommendation of the last {@code stabilization-window} (5m by default) agrees. The first
 *       call seeds the window with the current replicas (as the HPA controller does), so a restart
 *       does not scale down at once.
 *   <li><b>Rate policies.</b> Each policy bounds the change relative to the replicas at the start
 *       of its period (current minus scale-ups plus scale-downs made within the period): {@code
 *       Pods: N} allows N replicas, {@code Percent: N} allows N% (rounded so that a change is
 *       possible). {@code select-policy: Max} (default) takes the policy allowing the most change,
 *       {@code Min} the least, {@code Disabled} forbids that direction. Defaults: up = max(4 pods,
 *       100%) per 15s; down = 100% per 15s.
 *   <li><b>Bounds.</b> The result always lies in the policy's {@code replicas: {min, max}}.
 * </ol>
 *
 * <p>An unknown signal is not zero: {@link #recommend} then returns the current replicas (within
 * bounds), records nothing, and {@link #lastHoldReason()} says why.
 */
public final class TargetTracker {
    static final double DEFAULT_TOLERANCE = 0.1;
    private static final Set<String> TARGET_KEYS = Set.of("signal", "per-replica", "utilization", "value", "tolerance");
    private static final Set<String> BEHAVIOR_KEYS = Set.of("scale-up", "scale-down");
    private static final Set<String> RULES_KEYS = Set.of("stabilization-window", "select-policy", "policies", "tolerance");
    private static final Set<String> POLICY_KEYS = Set.of("type", "value", "period");
    private static final Duration MAX_WINDOW = Duration.ofHours(1);
    private static final Duration MAX_PERIOD = Duration.ofMinutes(30);
    // ceil(50 * 0.77 / 0.75) must not become 52 because of a last-bit rounding error
    private static final double CEIL_SLACK = 1e-9;

    private final String signal;
    private final Kind kind;
    private final double goal;
    private final ScalingRules up;
    private final ScalingRules down;
    private final ReplicaBounds bounds;
    private final Duration longestPeriod;
    /**
     * The constant parts of a reason, made once: every recommendation of every target (each event
     * and tick) words its reason, and formatting the configured goal and windows each time was most
     * of a decision's cost (a {@code BigDecimal} per number).
     */
    private final String goalText;
    private final String upWindowText;
    private final String downWindowText;
    /**
     * The inputs of the last {@link #formula} worked out, its result and its words: steady load
     * asks the same again (every tick, and every event that changes something else).
     */
    private double formulaValue = Double.NaN;
    private int formulaCurrent = -1;
    private int formulaRaw;
    private String formulaText = "";
    // Sliding-window min (scale-up window) and max (scale-down window) of raw recommendations:
    // monotonic deques, so steady load keeps one entry and memory stays bounded by max - min + 1.
    private final Deque<Stamped> upWindow = new ArrayDeque<>();
    private final Deque<Stamped> downWindow = new ArrayDeque<>();
    private final Deque<Stamped> upEvents = new ArrayDeque<>();
    private final Deque<Stamped> downEvents = new ArrayDeque<>();
    private boolean seeded;
    /** The last recommendation kept the replicas and nothing held a change back (see {@link #settled}). */
    private boolean settled = true;
    private @Nullable String holdReason;
    private String lastReason = "no recommendation yet";

    private TargetTracker(String signal, Kind kind, double goal, ScalingRules up, ScalingRules down, ReplicaBounds bounds) {
        this.signal = signal;
        this.kind = kind;
        this.goal = goal;
        this.up = up;
        this.down = down;
        this.bounds = bounds;
        this.longestPeriod = List.of(up, down).stream()
                .flatMap(rules -> rules.policies().stream())
                .map(ScalingPolicy::period)
                .max(Duration::compareTo)
                .orElse(Duration.ZERO);
        // Interned: targets with the same policy (thousands of them) share one copy of each.
        this.goalText = Policies.number(goal).intern();
        this.upWindowText = Policies.duration(up.stabilizationWindow()).intern();
        this.downWindowText = Policies.duration(down.stabilizationWindow()).intern();
    }

    /**
     * Reads a policy's {@code target:} and {@code behavior:} nodes strictly.
     *
     * @param target e.g. {@code { signal: inflight, per-replica: 4 }} or {@code { signal: cpu,
     *     utilization: 0.6, tolerance: 0.05 }}
     * @param behavior the HPA-style {@code behavior:} node (may be empty for the HPA defaults)
     * @param bounds the policy's replica bounds
     * @param signals the target's configured signal names; the reserved gateway counters are
     *     always allowed
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} or {@code POLICY_INVALID}
     *     naming the path of the bad key and the fix
     */
    public static TargetTracker fromConfig(Config target, Config behavior, ReplicaBounds bounds, Set<String> signals) {
        requireNonNull(target, "target is null");
        requireNonNull(behavior, "behavior is null");
        requireNonNull(bounds, "bounds is null");
        requireNonNull(signals, "signals is null");
        // Every setting is checked even after one fails, so a policy's mistakes are reported together.
        ConfigProblems problems = new ConfigProblems();
        problems.attempt(() -> target.requireOnlyKeys(TARGET_KEYS));
        String signal = problems.attempt(() -> Policies.requireSignal(target, "signal", signals)).orElse(null);
        Kind kind = problems.attempt(() -> kind(target)).orElse(null);
        Double goal = kind == null ? null : problems.attempt(
                () -> Policies.positive(target, kind.key, Policies.requireNumber(target, kind.key))).orElse(null);
        Double tolerance = problems.attempt(() -> tolerance(target, "tolerance", DEFAULT_TOLERANCE)).orElse(null);
        problems.attempt(() -> behavior.requireOnlyKeys(BEHAVIOR_KEYS));
        double ruleTolerance = tolerance == null ? DEFAULT_TOLERANCE : tolerance;
        ScalingRules up = problems.attempt(() -> rules(behavior.child("scale-up"), true, ruleTolerance)).orElse(null);
        ScalingRules down = problems.attempt(() -> rules(behavior.child("scale-down"), false, ruleTolerance)).orElse(null);
        problems.throwIfAny();
        return new TargetTracker(requireNonNull(signal), requireNonNull(kind), requireNonNull(goal), requireNonNull(up),
                requireNonNull(down), bounds);
    }

    private static Kind kind(Config target) {
        List<Kind> kinds = new ArrayList<>();
        for (Kind candidate : Kind.values()) {
            if (target.has(candidate.key)) {
                kinds.add(candidate);
            }
        }
        if (kinds.size() != 1) {
            throw Policies.invalid(target, "set exactly one of per-replica (the signal is a total, e.g. inflight: "
                    + "per-replica: 4), utilization or value (the signal is a per-replica level, e.g. "
                    + "utilization: 0.6); got " + (kinds.isEmpty() ? "none" : kinds.stream().map(k -> k.key).toList()));
        }
        return kinds.get(0);
    }

    /** The signal this tracker follows. */
    public String signal() {
        return signal;
    }

    /**
     * The replicas the HPA algorithm wants now, given the replicas the target is scaled to (the
     * HPA's {@code scale.spec.replicas}: pass the last decided replicas, not the ready count, so the
     * rate policies count each change once). Records the recommendation and, when the result
     * differs from {@code currentReplicas}, a scale event for the rate policies.
     *
     * @return replicas within the policy's bounds; {@code currentReplicas} (within bounds) when the
     *     signal is unknown
     */
    public int recommend(TargetContext context, int currentReplicas) {
        requireNonNull(context, "context is null");
        if (currentReplicas < 0) {
            throw new IllegalArgumentException("currentReplicas must not be negative, got " + currentReplicas);
        }
        return switch (context.signal(signal)) {
            case SignalValue.Unknown unknown -> hold(unknown, currentReplicas);
            case SignalValue.Known known -> track(known.value(), currentReplicas, context.now());
        };
    }

    /** Why the last {@link #recommend} held the replicas (the signal was unknown), if it did. */
    public Optional<String> lastHoldReason() {
        return Optional.ofNullable(holdReason);
    }

    /**
     * True when asking again with nothing changed but the time would answer the same: the last
     * recommendation kept the current replicas and no stabilization window or rate policy held a
     * change back (or the signal was unknown, which holds the replicas). A target whose tracker is
     * settled needs no tick to re-evaluate.
     */
    public boolean settled() {
        return settled;
    }

    /**
     * The newest recommendation held, unchanged, from when it was made until {@code now}: the
     * target skipped the ticks that would have recorded it again (nothing it depends on changed),
     * so the windows see it as made now, as they would have with every tick recorded.
     */
    public void heldUntil(Instant now) {
        restamp(upWindow, now);
        restamp(downWindow, now);
    }

    private static void restamp(Deque<Stamped> window, Instant now) {
        Stamped newest = window.peekLast();
        if (newest != null && newest.at().isBefore(now)) {
            window.pollLast();
            window.addLast(new Stamped(newest.value(), now));
        }
    }

    /** The last recommendation in words, for a decision's reason. */
    public String lastReason() {
        return lastReason;
    }

    /**
     * Forgets every recommendation and scale event, e.g. when the target left the state that
     * tracks; the next {@link #recommend} seeds the windows afresh.
     */
    public void reset() {
        upWindow.clear();
        downWindow.clear();
        upEvents.clear();
        downEvents.clear();
        seeded = false;
        settled = true;
        holdReason = null;
        lastReason = "no recommendation yet";
    }

    private int hold(SignalValue.Unknown unknown, int current) {
        int held = bounds.clamp(current);
        holdReason = signal + " unknown (" + unknown.reason() + ")";
        settled = true;
        lastReason = holdReason + "; holding " + Policies.replicas(held);
        return held;
    }

    private int track(double value, int current, Instant now) {
        holdReason = null;
        int start = bounds.clamp(current);
        if (!seeded) {
            seeded = true;
            if (!down.stabilizationWindow().isZero()) {
                remember(start, now);
            }
        }
        StringBuilder reason = new StringBuilder();
        int raw = formula(value, current, reason);
        int desired = bounds.clamp(raw);
        if (desired != raw) {
            reason.append(desired > raw ? "; raised to min " : "; capped at max ").append(desired);
        }

        evict(upWindow, now.minus(up.stabilizationWindow()));
        evict(downWindow, now.minus(down.stabilizationWindow()));
        int upRecommendation = upWindow.isEmpty() ? desired : Math.min(desired, upWindow.peekFirst().value());
        int downRecommendation = downWindow.isEmpty() ? desired : Math.max(desired, downWindow.peekFirst().value());
        remember(desired, now);
        int stabilized = Math.min(Math.max(current, upRecommendation), downRecommendation);
        if (stabilized != desired) {
            boolean downward = desired < current;
            reason.append(downward ? "; scale-down held at " : "; scale-up held at ")
                    .append(stabilized)
                    .append(" by the ")
                    .append(downward ? downWindowText : upWindowText)
                    .append(" stabilization window");
        }

        int limited = rateLimit(current, stabilized, now, reason);
        int result = bounds.clamp(limited);
        if (result > current) {
            upEvents.addLast(new Stamped(result - current, now));
        } else if (result < current) {
            downEvents.addLast(new Stamped(current - result, now));
        }
        lastReason = reason.toString();
        settled = result == start && desired == start;
        return result;
    }

    /**
     * The HPA formula with tolerance; appends "inflight 13.0 / 4 per replica -> 4 replicas". A pure
     * function of {@code value} and {@code current}: worked out again only when one changed.
     */
    private int formula(double value, int current, StringBuilder reason) {
        // The value compared bit for bit: 0.0 and -0.0 are worded differently.
        if (current != formulaCurrent || Double.doubleToRawLongBits(value) != Double.doubleToRawLongBits(formulaValue)) {
            StringBuilder text = new StringBuilder();
            formulaRaw = workOut(value, current, text);
            formulaText = text.toString();
            formulaValue = value;
            formulaCurrent = current;
        }
        reason.append(formulaText);
        return formulaRaw;
    }

    private int workOut(double value, int current, StringBuilder reason) {
        String shown = signal + " " + Policies.value(value);
        if (kind == Kind.AVERAGE_VALUE) {
            int wanted = ceil(value / goal);
            String base = shown + " / " + goalText + " per replica";
            if (current > 0 && withinTolerance(value / (goal * current))) {
                reason.append(base).append(" is within tolerance of ").append(Policies.replicas(current))
                        .append(" -> keep ").append(Policies.replicas(current));
                return current;
            }
            reason.append(base).append(" -> ").append(Policies.replicas(wanted));
            return wanted;
        }
        String base = shown + " vs target " + goalText;
        if (current == 0) {
            reason.append(base).append(" at 0 replicas: a ratio target cannot size from zero -> keep 0 replicas");
            return 0;
        }
        if (withinTolerance(value / goal)) {
            reason.append(base).append(" is within tolerance -> keep ").append(Policies.replicas(current));
            return current;
        }
        int wanted = ceil(current * value / goal);
        reason.append(base).append(" at ").append(Policies.replicas(current)).append(" -> ")
                .append(Policies.replicas(wanted));
        return wanted;
    }

    private boolean withinTolerance(double ratio) {
        return ratio <= 1 + up.tolerance() && ratio >= 1 - down.tolerance();
    }

    private int rateLimit(int current, int stabilized, Instant now, StringBuilder reason) {
        evictEvents(now);
        if (stabilized > current) {
            int limit = up.select() == SelectPolicy.DISABLED ? current : Math.max(current, upLimit(current, now));
            if (stabilized > limit) {
                reason.append(up.select() == SelectPolicy.DISABLED
                        ? "; scale-up disabled"
                        : "; scale-up limited to " + limit + " by the rate policies");
                return limit;
            }
        } else if (stabilized < current) {
            int limit = down.select() == SelectPolicy.DISABLED ? current : Math.min(current, downLimit(current, now));
            if (stabilized < limit) {
                reason.append(down.select() == SelectPolicy.DISABLED
                        ? "; scale-down disabled"
                        : "; scale-down limited to " + limit + " by the rate policies");
                return limit;
            }
        }
        return stabilized;
    }

    private int upLimit(int current, Instant now) {
        long result = up.select() == SelectPolicy.MIN ? Long.MAX_VALUE : Long.MIN_VALUE;
        for (ScalingPolicy policy : up.policies()) {
            long start = periodStart(current, policy.period(), now);
            long proposed = switch (policy.type()) {
                case PODS -> start + policy.value();
                // rounded up: 10% of 3 replicas must still allow one more
                case PERCENT -> Math.ceilDiv(start * (100L + policy.value()), 100L);
            };
            result = up.select() == SelectPolicy.MIN ? Math.min(result, proposed) : Math.max(result, proposed);
        }
        return saturate(result);
    }

    private int downLimit(int current, Instant now) {
        long result = down.select() == SelectPolicy.MIN ? Long.MIN_VALUE : Long.MAX_VALUE;
        for (ScalingPolicy policy : down.policies()) {
            long start = periodStart(current, policy.period(), now);
            long proposed = switch (policy.type()) {
                case PODS -> start - policy.value();
                // rounded down, i.e. the change rounded up: 10% of 72 removes 8 (HPA docs)
                case PERCENT -> Math.floorDiv(start * (100L - policy.value()), 100L);
            };
            // Min selects the policy that changes least, which for a scale-down is the highest floor
            result = down.select() == SelectPolicy.MIN ? Math.max(result, proposed) : Math.min(result, proposed);
        }
        return saturate(result);
    }

    /** The replicas at the start of a policy period: now minus the ups plus the downs within it. */
    private long periodStart(int current, Duration period, Instant now) {
        Instant cutoff = now.minus(period);
        return (long) current - sumAfter(upEvents, cutoff) + sumAfter(downEvents, cutoff);
    }

    private static long sumAfter(Deque<Stamped> events, Instant cutoff) {
        long sum = 0;
        for (Stamped event : events) {
            if (event.at().isAfter(cutoff)) {
                sum += event.value();
            }
        }
        return sum;
    }

    private void evictEvents(Instant now) {
        Instant cutoff = now.minus(longestPeriod);
        evict(upEvents, cutoff);
        evict(downEvents, cutoff);
    }

    private void remember(int recommendation, Instant now) {
        Stamped sample = new Stamped(recommendation, now);
        while (!upWindow.isEmpty() && upWindow.peekLast().value() >= recommendation) {
            upWindow.pollLast();
        }
        upWindow.addLast(sample);
        while (!downWindow.isEmpty() && downWindow.peekLast().value() <= recommendation) {
            downWindow.pollLast();
        }
        downWindow.addLast(sample);
    }

    /** Drops entries at or before {@code cutoff}: a window counts only what came strictly after. */
    private static void evict(Deque<Stamped> deque, Instant cutoff) {
        while (!deque.isEmpty() && !deque.peekFirst().at().isAfter(cutoff)) {
            deque.pollFirst();
        }
    }

    private static int ceil(double replicas) {
        if (Double.isNaN(replicas) || replicas <= 0) {
            return 0;
        }
        double ceiled = Math.ceil(replicas - CEIL_SLACK * Math.max(1, replicas));
        return ceiled >= Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) ceiled;
    }

    private static int saturate(long value) {
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE, value));
    }

    private static double tolerance(Config node, String key, double defaultValue) {
        double tolerance = Policies.number(node, key, defaultValue);
        if (tolerance < 0 || tolerance >= 1) {
            throw Policies.invalid(node, key, "must be at least 0 and below 1 (0.1 = no change within 10% of the"
                    + " target), got " + Policies.number(tolerance) + "; to stop scaling one way set "
                    + "select-policy: Disabled");
        }
        return tolerance;
    }

    private static ScalingRules rules(Config node, boolean scaleUp, double defaultTolerance) {
        node.requireOnlyKeys(RULES_KEYS);
        Duration window = node.duration("stabilization-window", scaleUp ? Duration.ZERO : Duration.ofMinutes(5));
        if (window.compareTo(MAX_WINDOW) > 0) {
            throw Policies.invalid(node, "stabilization-window", "must be at most 1h (as in Kubernetes), got "
                    + Policies.duration(window));
        }
        SelectPolicy select = SelectPolicy.parse(node, "select-policy");
        List<ScalingPolicy> policies = node.has("policies")
                ? policies(node)
                : scaleUp
                        ? List.of(new ScalingPolicy(PolicyType.PODS, 4, Duration.ofSeconds(15)),
                                new ScalingPolicy(PolicyType.PERCENT, 100, Duration.ofSeconds(15)))
                        : List.of(new ScalingPolicy(PolicyType.PERCENT, 100, Duration.ofSeconds(15)));
        if (policies.isEmpty() && select != SelectPolicy.DISABLED) {
            throw Policies.invalid(node, "policies", "needs at least one policy such as { type: Pods, value: 4,"
                    + " period: 15s }; to forbid this direction set select-policy: Disabled");
        }
        return new ScalingRules(window, select, policies, tolerance(node, "tolerance", defaultTolerance));
    }

    private static List<ScalingPolicy> policies(Config node) {
        List<ScalingPolicy> policies = new ArrayList<>();
        for (Config item : Policies.mapList(node, "policies")) {
            item.requireOnlyKeys(POLICY_KEYS);
            PolicyType type = PolicyType.parse(item, "type");
            int value = item.requireInteger("value");
            if (value < 1) {
                throw Policies.invalid(item, "value", "must be at least 1, got " + value);
            }
            Duration period = Policies.positiveDuration(item, "period");
            if (period.compareTo(MAX_PERIOD) > 0) {
                throw Policies.invalid(item, "period", "must be at most 30m (as in Kubernetes), got "
                        + Policies.duration(period));
            }
            policies.add(new ScalingPolicy(type, value, period));
        }
        return List.copyOf(policies);
    }

    @Override
    public String toString() {
        return "TargetTracker[" + signal + " " + kind.key + " " + Policies.number(goal) + ", up=" + up + ", down="
                + down + ", bounds=" + bounds + "]";
    }

    private enum Kind {
        AVERAGE_VALUE("per-replica"),
        UTILIZATION("utilization"),
        VALUE("value");

        final String key;

        Kind(String key) {
            this.key = key;
        }
    }

    private enum SelectPolicy {
        MAX,
        MIN,
        DISABLED;

        static SelectPolicy parse(Config node, String key) {
            String text = node.string(key, "Max");
            return switch (text.toLowerCase(Locale.ROOT)) {
                case "max" -> MAX;
                case "min" -> MIN;
                case "disabled" -> DISABLED;
                default -> throw Policies.invalid(node, key, "unknown select-policy '" + text
                        + "'; use Max (the policy allowing the most change), Min (the least) or Disabled");
            };
        }
    }

    private enum PolicyType {
        PODS,
        PERCENT;

        static PolicyType parse(Config node, String key) {
            String text = node.requireString(key);
            return switch (text.toLowerCase(Locale.ROOT)) {
                case "pods" -> PODS;
                case "percent" -> PERCENT;
                default -> throw Policies.invalid(node, key, "unknown policy type '" + text
                        + "'; use Pods (a number of replicas) or Percent (a share of the current replicas)");
            };
        }
    }

    private record ScalingPolicy(PolicyType type, int value, Duration period) {}

    private record ScalingRules(Duration stabilizationWindow, SelectPolicy select, List<ScalingPolicy> policies, double tolerance) {}

    /** A recommendation or a scale event's size, with when it happened. */
    private record Stamped(int value, Instant at) {}
}
