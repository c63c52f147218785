package io.zeroscale.engine.history;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * A pre-wake an automaton has planned while its target is at zero: its timer is set.
 *
 * @param at when the target will be woken
 * @param expectedFrom when the request it is woken for is expected, at the earliest
 * @param keptUntil how long the target stays up if no request comes
 * @param source {@code idle-times} (the adaptive keep-alive's histogram) or {@code seasonal} (the seasonal forecast)
 * @param probability the forecast's probability of a request in the first expected slot; null for {@code idle-times}
 * @param reason what the prediction rests on, as the journal will say it
 */
public record PlannedPrewake(Instant at, Instant expectedFrom, Instant keptUntil, String source, @Nullable Double probability,
        String reason) {
    public PlannedPrewake {
        requireNonNull(at, "at is null");
        requireNonNull(expectedFrom, "expectedFrom is null");
        requireNonNull(keptUntil, "keptUntil is null");
        requireNonNull(source, "source is null");
        requireNonNull(reason, "reason is null");
    }
}
