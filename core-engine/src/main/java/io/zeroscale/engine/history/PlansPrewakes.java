package io.zeroscale.engine.history;

import org.jspecify.annotations.Nullable;

/** An automaton that wakes its target ahead of expected requests and can say when it next will. */
public interface PlansPrewakes {
    /** The pre-wake planned now (its timer is set), or null; called from any thread. */
    @Nullable PlannedPrewake plannedPrewake();

    /** The seasonal forecast's settings, or null when this policy makes no seasonal forecast; called from any thread. */
    SeasonalForecast.@Nullable Settings seasonalSettings();
}
