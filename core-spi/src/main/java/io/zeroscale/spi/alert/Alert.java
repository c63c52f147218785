package io.zeroscale.spi.alert;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.automaton.Action;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * One alert notification: a condition of a target started ({@link Status#FIRING}) or ended
 * ({@link Status#RESOLVED}). The engine sends a firing alert once per occurrence of a condition and
 * one resolved alert with the same {@link #key()} when it ends. Immutable.
 *
 * @param target the target's name in config
 * @param ref the workload the target scales
 * @param kind which condition, e.g. {@link #WAKE_FAILED}; custom automata's own alerts use
 *     {@link #AUTOMATON}
 * @param severity how bad
 * @param status firing or resolved
 * @param summary one line for a human, e.g. "wake of shop failed: not ready within 2m"
 * @param labels what tells this alert apart from others of the same kind and target (e.g.
 *     {@code signal}); sinks add {@code target} and {@code kind} themselves
 * @param startsAt when the condition started, from the engine's clock
 * @param endsAt when it ended; null while firing, set when resolved
 */
public record Alert(
        String target,
        TargetRef ref,
        String kind,
        Action.Severity severity,
        Status status,
        String summary,
        Map<String, String> labels,
        Instant startsAt,
        @Nullable Instant endsAt) {
    /** A wake did not make the target ready (it went back to zero, or held requests were failed). */
    public static final String WAKE_FAILED = "wake-failed";
    /** A wake took longer than the configured threshold. */
    public static final String WAKE_SLOW = "wake-slow";
    /** Orchestrator calls keep failing: the circuit breaker opened, or calls failed after retries. */
    public static final String ACTUATION_FAILING = "actuation-failing";
    /** A signal stayed unknown for longer than the configured limit. */
    public static final String SIGNAL_UNKNOWN = "signal-unknown";
    /** More state changes than the configured limit within the configured window. */
    public static final String FLAPPING = "flapping";
    /** The gateway refused requests because the target's hold queue was full. */
    public static final String OVERFLOW = "overflow";
    /** An alert action raised by the target's automaton (a policy's own alert). */
    public static final String AUTOMATON = "automaton";

    /** Whether the condition is going on or over. */
    public enum Status {
        FIRING,
        RESOLVED,
    }

    public Alert {
        requireNonNull(target, "target is null");
        requireNonNull(ref, "ref is null");
        requireNonNull(kind, "kind is null");
        requireNonNull(severity, "severity is null");
        requireNonNull(status, "status is null");
        requireNonNull(summary, "summary is null");
        labels = java.util.Collections.unmodifiableMap(new TreeMap<>(requireNonNull(labels, "labels is null")));
        requireNonNull(startsAt, "startsAt is null");
        if ((status == Status.RESOLVED) != (endsAt != null)) {
            throw new IllegalArgumentException("endsAt is set exactly when the alert is resolved");
        }
    }

    /**
     * What identifies one occurrence of a condition across its firing and resolved notifications:
     * target, kind and labels. Sinks use it as a deduplication key.
     */
    public String key() {
        StringBuilder key = new StringBuilder(target).append('/').append(kind);
        labels.forEach((name, value) -> key.append('/').append(name).append('=').append(value));
        return key.toString();
    }

    /** The same alert, resolved at {@code at} with {@code summary}. */
    public Alert resolved(Instant at, String summary) {
        return new Alert(target, ref, kind, severity, Status.RESOLVED, summary, labels, startsAt, at);
    }
}
