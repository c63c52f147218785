package io.zeroscale.engine.automaton;

import static java.util.Objects.requireNonNull;

import dev.cel.runtime.CelVariableResolver;
import io.zeroscale.spi.automaton.TargetContext;
import io.zeroscale.spi.metrics.SignalValue;
import io.zeroscale.spi.traffic.RequestStats;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The CEL variables of one event, read from the {@link TargetContext} on first use so an event
 * that evaluates nothing costs nothing. A signal whose value is unknown is left out of {@code
 * signals}: an expression that reads it cannot evaluate, which is how "unknown" stays unknown
 * instead of turning into 0.
 */
final class Bindings implements CelVariableResolver {
    private final TargetContext context;
    private final Set<String> signalNames;
    private String state;
    private @Nullable Long replicas;
    private @Nullable Map<String, Double> signals;
    private @Nullable Map<String, Object> requests;

    Bindings(TargetContext context, Set<String> signalNames, String state) {
        this.context = requireNonNull(context, "context is null");
        this.signalNames = requireNonNull(signalNames, "signalNames is null");
        this.state = requireNonNull(state, "state is null");
    }

    void state(String state) {
        this.state = requireNonNull(state, "state is null");
    }

    /**
     * What {@code replicas} reads, or null for the current desired replicas. A state's replica
     * expression reads the count at entry, so {@code replicas + 1} adds one once rather than on
     * every event.
     */
    void replicas(@Nullable Long replicas) {
        this.replicas = replicas;
    }

    @Override
    public Optional<Object> find(String name) {
        return switch (name) {
            case CelExpressions.SIGNALS -> Optional.of(signals());
            case CelExpressions.REQUESTS -> Optional.of(requests());
            case CelExpressions.READY -> Optional.of((long) context.observed().readyReplicas());
            case CelExpressions.REPLICAS -> Optional.of(replicas != null ? replicas : (long) context.desiredReplicas());
            case CelExpressions.STATE -> Optional.of(state);
            default -> Optional.empty();
        };
    }

    /**
     * "signal 'rps' (unknown: reason)" for each signal {@code expression} reads that has no
     * value now, joined; empty when all it reads are known.
     */
    String describeUnknown(CompiledExpression expression) {
        StringBuilder out = new StringBuilder();
        for (String name : expression.readsAnySignal() ? signalNames : expression.signals()) {
            if (context.signal(name) instanceof SignalValue.Unknown unknown) {
                out.append(out.isEmpty() ? "" : ", ")
                        .append("signal '")
                        .append(name)
                        .append("' (unknown: ")
                        .append(unknown.reason())
                        .append(')');
            }
        }
        return out.toString();
    }

    private Map<String, Double> signals() {
        if (signals == null) {
            Map<String, Double> known = new HashMap<>();
            for (String name : signalNames) {
                switch (context.signal(name)) {
                    case SignalValue.Known value -> known.put(name, value.value());
                    case SignalValue.Unknown unknown -> {
                        // left out on purpose: see the class comment
                    }
                }
            }
            signals = known;
        }
        return signals;
    }

    private Map<String, Object> requests() {
        if (requests == null) {
            RequestStats stats = context.requests();
            requests = Map.of(
                    CelExpressions.HELD, (long) stats.held(),
                    CelExpressions.INFLIGHT, (long) stats.inFlight(),
                    CelExpressions.RATE, context.arrivalRate());
        }
        return requests;
    }
}
