package io.zeroscale.spi.metrics;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * The value of a signal at one moment: a number, or unknown with the reason. Unknown is not zero:
 * a failed, timed-out or empty query is {@link Unknown}, and the engine never scales to zero on it.
 */
public sealed interface SignalValue {
    /** When the value was measured (or the query failed), from the engine's clock. */
    Instant at();

    /** A measured number. Never NaN; infinities are allowed only where the source documents them. */
    record Known(double value, Instant at) implements SignalValue {
        public Known {
            if (Double.isNaN(value)) {
                throw new IllegalArgumentException("a known value must not be NaN; report Unknown instead");
            }
            requireNonNull(at, "at is null");
        }
    }

    /** No usable value, and why (the source's error, "no series matched", a timeout). */
    record Unknown(String reason, Instant at) implements SignalValue {
        public Unknown {
            requireNonNull(reason, "reason is null");
            requireNonNull(at, "at is null");
        }
    }

    static SignalValue known(double value, Instant at) {
        return new Known(value, at);
    }

    static SignalValue unknown(String reason, Instant at) {
        return new Unknown(reason, at);
    }
}
