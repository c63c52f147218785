package io.zeroscale.engine.automaton;

import static java.util.Objects.requireNonNull;

import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One checked CEL expression, ready to evaluate. Immutable and shared by every target whose policy
 * has the same settings.
 *
 * @param source the expression as written (whitespace collapsed), for reasons and errors
 * @param program the evaluable program
 * @param signals the signal names it reads by constant name
 * @param readsAnySignal true when it also reads {@code signals} as a whole or by a computed key
 * @param constant its value when it uses no variable (computed once at load), else null
 */
record CompiledExpression(
        String source, CelRuntime.Program program, Set<String> signals, boolean readsAnySignal, @Nullable Object constant) {
    CompiledExpression {
        requireNonNull(source, "source is null");
        requireNonNull(program, "program is null");
        signals = Set.copyOf(requireNonNull(signals, "signals is null"));
    }

    /** The outcome of one evaluation. */
    sealed interface Result {
        /** A value of the checked type. */
        record Value(Object value) implements Result {
            public Value {
                requireNonNull(value, "value is null");
            }
        }

        /** It needed a signal whose value is unknown; {@code detail} names which and why. */
        record Unknown(String detail) implements Result {
            public Unknown {
                requireNonNull(detail, "detail is null");
            }
        }

        /** It failed with every signal it reads known (e.g. an integer overflow). */
        record Failed(String message) implements Result {
            public Failed {
                requireNonNull(message, "message is null");
            }
        }
    }

    Result evaluate(Bindings bindings) {
        if (constant != null) {
            return new Result.Value(constant);
        }
        try {
            return new Result.Value(program.eval(bindings));
        } catch (CelEvaluationException e) {
            // Unknown signals are absent from the `signals` map, so reading one fails; CEL's
            // logical operators absorb such failures where the other side decides the result.
            String unknown = bindings.describeUnknown(this);
            if (!unknown.isEmpty()) {
                return new Result.Unknown(unknown);
            }
            return new Result.Failed(String.valueOf(e.getMessage()));
        }
    }
}
