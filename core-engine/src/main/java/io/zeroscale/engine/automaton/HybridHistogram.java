package io.zeroscale.engine.automaton;

import io.zeroscale.engine.history.IdleTimeHistogram;
import io.zeroscale.engine.history.SeasonalForecast;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.ConfigProblems;
import io.zeroscale.spi.Durations;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The adaptive keep-alive and pre-wake of {@code zero-to-n} ({@code adaptive:}): the hybrid
 * histogram policy of M. Shahrad, R. Fonseca, I. Goiri, G. Chaudhry, P. Batum, J. Cooke, E.
 * Laureano, C. Tresness, M. Russinovich, R. Bianchini, "Serverless in the Wild: Characterizing and
 * Optimizing the Serverless Workload at a Large Cloud Provider", USENIX ATC 2020, section 4.2,
 * implemented here from the paper's description.
 *
 * <p>From the histogram of idle times between arrivals (one-minute bins over a range, four hours
 * by default as in the paper): the <em>head</em> (the {@code head}th percentile, 5 by default) and
 * the <em>tail</em> (the {@code tail}th, 99 by default). With a margin (10 % by default, as in the
 * paper) the next request is expected no sooner than {@code head × (1 - margin)} and no later than
 * {@code tail × (1 + margin)} after the last one. When the head leaves room for a wake, the target
 * is scaled to zero as soon as it is idle and woken again {@code wake-lead} before the head (the
 * pre-wake); otherwise it is kept alive until the tail. Idle times are counted in whole minutes of
 * the clock (a true gap lies within a minute of its bin), so the head is taken one minute lower
 * and the tail one minute higher.
 *
 * <p>The paper falls back to a fixed keep-alive when the histogram is not representative; so does
 * this, to the policy's fixed {@code idle}, while there are fewer than {@code min-samples} idle
 * times, while more than {@code max-out-of-range} of them are beyond the range (the paper uses a
 * time-series forecast there; that is not implemented), or while the bin counts' coefficient of
 * variation is below {@code min-variation} (too spread out to predict). The thresholds are this
 * project's defaults, not the paper's numbers.
 */
record HybridHistogram(int minSamples, double head, double tail, double margin, double minVariation, double maxOutOfRange,
        Duration wakeLead, Duration minPrewake, SeasonalForecast.@Nullable Settings seasonal) {
    static final Set<String> KEYS = Set.of("min-samples", "head-percentile", "tail-percentile", "margin", "min-variation",
            "max-out-of-range", "wake-lead", "seasonal");
    static final Set<String> SEASONAL_KEYS = Set.of("slot", "min-probability");
    static final HybridHistogram DEFAULT = new HybridHistogram(10, 5, 99, 0.1, 2, 0.5, Duration.ofSeconds(30), Duration.ofMinutes(1),
            SeasonalForecast.Settings.DEFAULT);

    /** What the histogram says for the next idle period. */
    sealed interface Prediction {
        /** Why, for the journal. */
        String describe();
    }

    /** Not enough to predict from: the fixed idle time applies. */
    record Unpredictable(String why) implements Prediction {
        @Override
        public String describe() {
            return "fixed idle (" + why + ")";
        }
    }

    /**
     * @param prewakeAfter after the last activity, scale to zero at once and wake again this much
     *     later; null to keep alive until {@code keepUntil} instead
     * @param expectedFrom the earliest expected arrival after the last activity (the head with margin)
     * @param keepUntil after the last activity, how long to stay up without a request (the tail with margin)
     */
    record Predicted(@Nullable Duration prewakeAfter, Duration expectedFrom, Duration keepUntil, int headMinute, int tailMinute,
            long samples) implements Prediction {
        @Override
        public String describe() {
            return "adaptive: idle times " + headMinute + "m-" + tailMinute + "m (percentiles of " + samples + ")";
        }
    }

    static HybridHistogram fromConfig(Config node, ConfigProblems problems) {
        problems.attempt(() -> node.requireOnlyKeys(KEYS));
        int minSamples = problems.attempt(() -> Policies.atLeastOne(node, "min-samples", DEFAULT.minSamples)).orElse(DEFAULT.minSamples);
        double head = problems.attempt(() -> percent(node, "head-percentile", DEFAULT.head)).orElse(DEFAULT.head);
        double tail = problems.attempt(() -> percent(node, "tail-percentile", DEFAULT.tail)).orElse(DEFAULT.tail);
        if (head >= tail) {
            problems.add(Policies.invalid(node, "head-percentile", "must be below tail-percentile (" + Policies.number(tail) + ")"));
        }
        double margin = problems.attempt(() -> fraction(node, "margin", DEFAULT.margin)).orElse(DEFAULT.margin);
        double minVariation = problems.attempt(() -> {
            double value = Policies.number(node, "min-variation", DEFAULT.minVariation);
            if (value < 0) {
                throw Policies.invalid(node, "min-variation", "must not be negative, got " + Policies.number(value));
            }
            return value;
        }).orElse(DEFAULT.minVariation);
        double maxOutOfRange = problems.attempt(() -> fraction(node, "max-out-of-range", DEFAULT.maxOutOfRange))
                .orElse(DEFAULT.maxOutOfRange);
        Duration wakeLead = problems.attempt(() -> node.duration("wake-lead", DEFAULT.wakeLead)).orElse(DEFAULT.wakeLead);
        SeasonalForecast.Settings seasonal = seasonal(node, problems);
        return new HybridHistogram(minSamples, head, tail, margin, minVariation, maxOutOfRange, wakeLead, DEFAULT.minPrewake, seasonal);
    }

    /** {@code seasonal:} true (the default), false, or a mapping of {@code slot} and {@code min-probability}. */
    private static SeasonalForecast.@Nullable Settings seasonal(Config node, ConfigProblems problems) {
        Object value = node.asMap().get("seasonal");
        SeasonalForecast.Settings defaults = SeasonalForecast.Settings.DEFAULT;
        if (value == null) {
            return defaults;
        }
        if (value instanceof Boolean on) {
            return on ? defaults : null;
        }
        if (!(value instanceof java.util.Map<?, ?>)) {
            problems.add(node.invalid("seasonal", "expected true, false or a mapping of the seasonal forecast's settings "
                    + new java.util.TreeSet<>(SEASONAL_KEYS)));
            return defaults;
        }
        Config seasonal = node.child("seasonal");
        problems.attempt(() -> seasonal.requireOnlyKeys(SEASONAL_KEYS));
        Duration slot = problems.attempt(() -> {
            Duration parsed = seasonal.duration("slot", defaults.slot());
            if (parsed.compareTo(Duration.ofMinutes(1)) < 0 || parsed.toSeconds() % 60 != 0 || Duration.ofDays(1).toMinutes() % parsed.toMinutes() != 0) {
                throw seasonal.invalid("slot", "must be whole minutes that divide a day (e.g. 5m, 10m, 15m, 30m, 1h), got "
                        + Durations.format(parsed));
            }
            return parsed;
        }).orElse(defaults.slot());
        double minProbability = problems.attempt(() -> {
            double parsed = Policies.number(seasonal, "min-probability", defaults.minProbability());
            if (!(parsed > 0 && parsed < 1)) {
                throw Policies.invalid(seasonal, "min-probability", "must be a probability between 0 and 1 (exclusive), got "
                        + Policies.number(parsed));
            }
            return parsed;
        }).orElse(defaults.minProbability());
        return new SeasonalForecast.Settings(slot, minProbability);
    }

    private static double percent(Config node, String key, double defaultValue) {
        double value = Policies.number(node, key, defaultValue);
        if (!(value > 0 && value < 100)) {
            throw Policies.invalid(node, key, "must be a percentile between 0 and 100 (exclusive), got " + Policies.number(value));
        }
        return value;
    }

    private static double fraction(Config node, String key, double defaultValue) {
        double value = Policies.number(node, key, defaultValue);
        if (!(value >= 0 && value < 1)) {
            throw Policies.invalid(node, key, "must be a fraction from 0 to below 1 (0.1 is 10 %), got " + Policies.number(value));
        }
        return value;
    }

    /** The prediction for the next idle period from {@code histogram}; {@code wakeTook} is the measured wake, if any. */
    Prediction predict(IdleTimeHistogram histogram, @Nullable Duration wakeTook) {
        long samples = histogram.inRange() + histogram.outOfRange();
        if (samples < minSamples) {
            return new Unpredictable("only " + samples + " idle time(s) recorded, " + minSamples + " needed to predict");
        }
        double outside = (double) histogram.outOfRange() / samples;
        if (outside > maxOutOfRange) {
            return new Unpredictable(String.format(Locale.ROOT, "%.0f%% of %d idle times are longer than the %dm histogram",
                    outside * 100, samples, histogram.rangeMinutes()));
        }
        double variation = histogram.binCountVariation();
        if (variation < minVariation) {
            return new Unpredictable(String.format(Locale.ROOT, "idle times too spread out to predict: bin-count variation %.2f < %s",
                    variation, Policies.number(minVariation)));
        }
        int headMinute = histogram.percentile(head);
        int tailMinute = histogram.percentile(tail);
        Duration expectedFrom = minutes((headMinute - 1) * (1 - margin));
        Duration keepUntil = minutes((tailMinute + 1) * (1 + margin));
        Duration lead = wakeTook != null && wakeTook.compareTo(wakeLead) > 0 ? wakeTook : wakeLead;
        Duration prewake = expectedFrom.minus(lead);
        return new Predicted(prewake.compareTo(minPrewake) >= 0 ? prewake : null, expectedFrom.isNegative() ? Duration.ZERO : expectedFrom,
                keepUntil, headMinute, tailMinute, histogram.inRange());
    }

    private static Duration minutes(double minutes) {
        return Duration.ofMillis(Math.round(minutes * 60_000));
    }

    /** For reasons: "12m36s". */
    static String format(Duration duration) {
        return Durations.format(Duration.ofSeconds(duration.toSeconds()));
    }
}
