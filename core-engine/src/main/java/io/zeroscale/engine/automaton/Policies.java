package io.zeroscale.engine.automaton;

import static io.zeroscale.spi.StandardErrorCode.ILLEGAL_TRANSITION;
import static io.zeroscale.spi.StandardErrorCode.POLICY_INVALID;
import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.Durations;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.spi.automaton.ReplicaBounds;
import io.zeroscale.spi.automaton.ReservedSignals;
import io.zeroscale.spi.automaton.TargetContext;
import io.zeroscale.spi.traffic.Routing;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/** Config reading, wording and decision helpers shared by the built-in automata. */
final class Policies {
    private Policies() {}

    /** A policy that is well-formed but inconsistent: "path.key: problem". */
    static ZeroscaleException invalid(Config node, String key, String problem) {
        return new ZeroscaleException(POLICY_INVALID, node.pathOf(key) + ": " + problem);
    }

    /** A policy node that is inconsistent as a whole: "path: problem". */
    static ZeroscaleException invalid(Config node, String problem) {
        return new ZeroscaleException(POLICY_INVALID, node.path() + ": " + problem);
    }

    /** A signal the target has (configured, or one of the reserved gateway counters). */
    static String requireSignal(Config node, String key, Set<String> configured) {
        String name = node.requireString(key);
        if (configured.contains(name) || ReservedSignals.ALL.contains(name)) {
            return name;
        }
        Set<String> known = new TreeSet<>(configured);
        known.addAll(ReservedSignals.ALL);
        String problem = "unknown signal '" + name + "'; "
                + Config.didYouMean(name, known).map(hint -> hint + " ").orElse("")
                + "define it under the policy's signals: or use a gateway counter (arrival-rate, held, inflight)"
                + (configured.isEmpty() ? "" : "; configured signals are " + new TreeSet<>(configured));
        throw invalid(node, key, problem);
    }

    /** True when {@code signal} is one of the gateway counters, which change without a SignalChanged. */
    static boolean isReserved(String signal) {
        return ReservedSignals.ALL.contains(signal);
    }

    static double requireNumber(Config node, String key) {
        double value = node.doubleValue(key)
                .orElseThrow(() -> node.invalid(key, "required key is missing; add a number"));
        return finite(node, key, value);
    }

    static double number(Config node, String key, double defaultValue) {
        return node.has(key) ? requireNumber(node, key) : defaultValue;
    }

    static double positive(Config node, String key, double value) {
        if (!(value > 0)) {
            throw invalid(node, key, "must be greater than 0, got " + number(value));
        }
        return value;
    }

    private static double finite(Config node, String key, double value) {
        if (!Double.isFinite(value)) {
            throw node.invalid(key, "expected a finite number, got " + value);
        }
        return value;
    }

    /** A whole number of replicas that lies within the policy's bounds. */
    static int replicasWithin(Config node, String key, ReplicaBounds bounds) {
        int replicas = node.requireInteger(key);
        return checkWithin(node, key, replicas, bounds);
    }

    static int checkWithin(Config node, String key, int replicas, ReplicaBounds bounds) {
        if (replicas < bounds.min() || replicas > bounds.max()) {
            throw invalid(node, key, replicas + " is outside replicas: {min: " + bounds.min() + ", max: "
                    + bounds.max() + "}; pick a value in that range or widen replicas");
        }
        return replicas;
    }

    static int atLeastOne(Config node, String key, int defaultValue) {
        int value = node.integer(key, defaultValue);
        if (value < 1) {
            throw invalid(node, key, "must be at least 1, got " + value);
        }
        return value;
    }

    static Duration positiveDuration(Config node, String key) {
        Duration value = node.requireDuration(key);
        if (value.isZero()) {
            throw invalid(node, key, "must be longer than 0s");
        }
        return value;
    }

    /**
     * The mappings of the list at {@code key}, each as a node whose path ends in {@code key[i]}, so
     * errors inside an item name it. Absent means an empty list.
     */
    static List<Config> mapList(Config node, String key) {
        Object value = node.asMap().get(key);
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List<?> list)) {
            throw node.invalid(key, "expected a list of mappings, e.g. [ { ... }, { ... } ]");
        }
        List<Config> items = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            String itemPath = node.pathOf(key) + "[" + i + "]";
            if (!(list.get(i) instanceof Map<?, ?> map)) {
                throw node.invalid(key + "[" + i + "]", "expected a mapping such as { key: value }");
            }
            Map<String, Object> entries = new LinkedHashMap<>();
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                if (!(entry.getKey() instanceof String name)) {
                    throw node.invalid(key + "[" + i + "]", "keys must be strings, got " + entry.getKey());
                }
                entries.put(name, entry.getValue());
            }
            items.add(Config.of(itemPath, entries));
        }
        return List.copyOf(items);
    }

    /** Forward while the gateway has somewhere to send requests, hold otherwise. */
    static Routing routing(TargetContext context) {
        return context.observed().readyEndpoints().isEmpty() ? Routing.HOLD : Routing.FORWARD;
    }

    static Decision decide(TargetContext context, int replicas, String reason) {
        return Decision.of(replicas, routing(context), reason);
    }

    /** The previous decision with routing brought up to date with the observed endpoints. */
    static Decision refresh(TargetContext context, Decision previous) {
        Routing routing = routing(context);
        return routing == previous.routing()
                ? previous
                : new Decision(previous.replicas(), routing, previous.paused(), previous.profile(), previous.reason(), List.of());
    }

    /**
     * What an automaton that follows signals does with an event it does not act on: keeps its
     * replicas and brings the routing up to date. It sets no timers, so a timer is an error.
     */
    static Decision unchanged(String automaton, String state, Event event, TargetContext context, @Nullable Decision previous) {
        if (event instanceof Event.TimerFired) {
            throw illegal(automaton, state, event);
        }
        return refresh(context, requireNonNull(previous));
    }

    static ZeroscaleException illegal(String automaton, String state, Event event) {
        return new ZeroscaleException(ILLEGAL_TRANSITION, automaton + " automaton in state " + state + " cannot handle "
                + event.getClass().getSimpleName() + " (" + event + ")");
    }

    /**
     * The automaton's last decision before {@code event}, the prologue of every built-in {@code
     * onEvent}: null only while {@code event} is the {@code Start} that makes the first one.
     *
     * @throws ZeroscaleException {@code ILLEGAL_TRANSITION} for any other event before Start
     */
    static @Nullable Decision previous(String automaton, @Nullable Decision last, Event event) {
        if (last == null && !(event instanceof Event.Start)) {
            throw notStarted(automaton, event);
        }
        return last;
    }

    /** The first decision of an automaton that keeps what it finds: the observed replicas within the bounds. */
    static Decision keepObserved(TargetContext context, ReplicaBounds bounds, Event.Start start) {
        int replicas = bounds.clamp(start.observed().replicas());
        return decide(context, replicas, "started with " + replicas(start.observed().replicas())
                + " observed -> " + replicas(replicas));
    }

    static ZeroscaleException notStarted(String automaton, Event event) {
        return new ZeroscaleException(ILLEGAL_TRANSITION, automaton + " automaton got "
                + event.getClass().getSimpleName() + " before Start; the engine must deliver Start first");
    }

    /** "1 replica", "3 replicas". */
    static String replicas(int count) {
        return count == 1 ? "1 replica" : count + " replicas";
    }

    /** A measured value for a reason: 4 significant digits, always with a decimal point (13.0, 0.625). */
    static String value(double value) {
        if (!Double.isFinite(value)) {
            return Double.toString(value);
        }
        BigDecimal rounded = Math.abs(value) >= 1000
                ? new BigDecimal(value).setScale(1, RoundingMode.HALF_UP)
                : new BigDecimal(value).round(new MathContext(4, RoundingMode.HALF_UP));
        String text = rounded.stripTrailingZeros().toPlainString();
        return text.contains(".") ? text : text + ".0";
    }

    /** A configured number as the user wrote it: 4, 0.6, 12.5. */
    static String number(double value) {
        if (!Double.isFinite(value)) {
            return Double.toString(value);
        }
        return new BigDecimal(Double.toString(value)).stripTrailingZeros().toPlainString();
    }

    static String duration(Duration duration) {
        return Durations.format(duration);
    }
}
