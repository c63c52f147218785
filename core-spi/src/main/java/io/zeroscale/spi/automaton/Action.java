package io.zeroscale.spi.automaton;

import static java.util.Objects.requireNonNull;

/** A one-shot effect of a decision, carried out once when the decision is applied. */
public sealed interface Action {
    /**
     * Raises an alert: the engine writes it to the target's journal (kind {@code ALERT}) and hands
     * it to every listener of its alert subscription ({@code Engine.subscribeAlerts}). The daemon
     * delivers it to the configured alert sinks (plugins of {@code io.zeroscale.spi.alert}); an
     * embedder subscribes and forwards it itself.
     */
    record Alert(Severity severity, String message) implements Action {
        public Alert {
            requireNonNull(severity, "severity is null");
            requireNonNull(message, "message is null");
        }
    }

    /** Answers every held request with {@code status} (503 or 504) and a one-line reason. */
    record FailHeld(int status, String reason) implements Action {
        public FailHeld {
            if (status < 500 || status > 599) {
                throw new IllegalArgumentException("held requests are failed with a 5xx status, got " + status);
            }
            requireNonNull(reason, "reason is null");
        }
    }

    /** How bad an alert is. */
    enum Severity {
        INFO,
        WARNING,
        CRITICAL,
    }
}
