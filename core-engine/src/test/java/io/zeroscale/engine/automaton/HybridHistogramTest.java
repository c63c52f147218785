package io.zeroscale.engine.automaton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.engine.history.ArrivalHistory;
import io.zeroscale.engine.history.IdleTimeHistogram;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.ConfigProblems;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HybridHistogramTest {
    private static final Instant T0 = Instant.parse("2026-01-05T00:00:00Z");

    /** Arrivals {@code gapsMinutes} apart, one per gap. */
    private static IdleTimeHistogram gaps(long... gapsMinutes) {
        ArrivalHistory history = new ArrivalHistory();
        Instant at = T0;
        history.record(at, 1);
        for (long gap : gapsMinutes) {
            at = at.plus(Duration.ofMinutes(gap));
            history.record(at, 1);
        }
        return history.idleTimes();
    }

    private static long[] repeat(long gap, int times) {
        long[] out = new long[times];
        java.util.Arrays.fill(out, gap);
        return out;
    }

    @Test
    void tooFewIdleTimesFallBackToTheFixedIdle() {
        HybridHistogram.Prediction prediction = HybridHistogram.DEFAULT.predict(gaps(15, 15, 15), null);

        assertThat(prediction).isEqualTo(new HybridHistogram.Unpredictable("only 3 idle time(s) recorded, 10 needed to predict"));
        assertThat(prediction.describe()).startsWith("fixed idle (only 3");
    }

    @Test
    void regularIdleTimesGiveAPreWakeAheadOfTheHeadAndAKeepAliveToTheTail() {
        HybridHistogram.Prediction prediction = HybridHistogram.DEFAULT.predict(gaps(repeat(15, 20)), null);

        // head = tail = 15 min; expected no sooner than (15 - 1) x 0.9 = 12.6 min, woken 30 s (wake-lead) before;
        // kept up until (15 + 1) x 1.1 = 17.6 min.
        assertThat(prediction).isEqualTo(new HybridHistogram.Predicted(Duration.ofSeconds(12 * 60 + 36 - 30),
                Duration.ofSeconds(12 * 60 + 36), Duration.ofSeconds(17 * 60 + 36), 15, 15, 20));
    }

    @Test
    void aLongerMeasuredWakeMovesThePreWakeEarlier() {
        HybridHistogram.Predicted predicted = (HybridHistogram.Predicted) HybridHistogram.DEFAULT.predict(gaps(repeat(15, 20)),
                Duration.ofMinutes(2));

        assertThat(predicted.prewakeAfter()).isEqualTo(Duration.ofSeconds(12 * 60 + 36 - 120));
    }

    @Test
    void shortIdleTimesLeaveNoRoomForAPreWakeAndKeepAliveUntilTheTail() {
        Random random = new Random(7);
        long[] gaps = new long[200];
        for (int i = 0; i < gaps.length; i++) {
            gaps[i] = 1 + random.nextInt(4); // 1..4 minutes
        }
        HybridHistogram.Predicted predicted = (HybridHistogram.Predicted) HybridHistogram.DEFAULT.predict(gaps(gaps), null);

        assertThat(predicted.prewakeAfter()).isNull();
        assertThat(predicted.tailMinute()).isEqualTo(4);
        assertThat(predicted.keepUntil()).isEqualTo(Duration.ofSeconds(330)); // (4 + 1) x 1.1 min
    }

    @Test
    void idleTimesSpreadOverTheRangeAreTooSpreadOutToPredict() {
        long[] gaps = new long[240];
        for (int i = 0; i < gaps.length; i++) {
            gaps[i] = i % 239 + 1;
        }
        HybridHistogram.Prediction prediction = HybridHistogram.DEFAULT.predict(gaps(gaps), null);

        assertThat(prediction).isInstanceOf(HybridHistogram.Unpredictable.class);
        assertThat(prediction.describe()).contains("too spread out to predict: bin-count variation");
    }

    @Test
    void mostlyLongerThanTheRangeIsNotPredicted() {
        long[] gaps = repeat(300, 12);
        gaps[0] = 5;
        HybridHistogram.Prediction prediction = HybridHistogram.DEFAULT.predict(gaps(gaps), null);

        assertThat(prediction.describe()).contains("92% of 12 idle times are longer than the 240m histogram");
    }

    @Test
    void theSeasonalForecastIsOnByDefaultAndItsSettingsAreChecked() {
        ConfigProblems problems = new ConfigProblems();
        assertThat(HybridHistogram.fromConfig(Config.of("targets.web.policy.adaptive", Map.of()), problems).seasonal())
                .isEqualTo(io.zeroscale.engine.history.SeasonalForecast.Settings.DEFAULT);
        assertThat(HybridHistogram.fromConfig(Config.of("targets.web.policy.adaptive", Map.of("seasonal", false)), problems).seasonal())
                .isNull();
        assertThat(HybridHistogram.fromConfig(Config.of("targets.web.policy.adaptive", Map.of("seasonal",
                Map.of("slot", "15m", "min-probability", 0.5))), problems).seasonal())
                .isEqualTo(new io.zeroscale.engine.history.SeasonalForecast.Settings(Duration.ofMinutes(15), 0.5));
        problems.throwIfAny();

        ConfigProblems bad = new ConfigProblems();
        HybridHistogram.fromConfig(Config.of("targets.web.policy.adaptive", Map.of("seasonal",
                Map.of("slot", "7m", "min-probability", 1.5, "slots", 3))), bad);
        assertThatThrownBy(bad::throwIfAny)
                .hasMessageContaining("targets.web.policy.adaptive.seasonal.slots: unknown key")
                .hasMessageContaining("targets.web.policy.adaptive.seasonal.slot: must be whole minutes that divide a day "
                        + "(e.g. 5m, 10m, 15m, 30m, 1h), got 7m")
                .hasMessageContaining("targets.web.policy.adaptive.seasonal.min-probability: must be a probability between 0 and 1 "
                        + "(exclusive), got 1.5");
        ConfigProblems notAMapping = new ConfigProblems();
        HybridHistogram.fromConfig(Config.of("targets.web.policy.adaptive", Map.of("seasonal", "daily")), notAMapping);
        assertThatThrownBy(notAMapping::throwIfAny).hasMessageContaining(
                "targets.web.policy.adaptive.seasonal: expected true, false or a mapping of the seasonal forecast's settings "
                        + "[min-probability, slot]");
    }

    @Test
    void settingsAreReadAndCheckedTogether() {
        ConfigProblems problems = new ConfigProblems();
        HybridHistogram read = HybridHistogram.fromConfig(Config.of("targets.web.policy.adaptive", Map.of(
                "min-samples", 20, "head-percentile", 10, "tail-percentile", 95, "margin", 0.2, "wake-lead", "1m")), problems);
        problems.throwIfAny();
        assertThat(read).isEqualTo(new HybridHistogram(20, 10, 95, 0.2, 2, 0.5, Duration.ofMinutes(1), Duration.ofMinutes(1),
                io.zeroscale.engine.history.SeasonalForecast.Settings.DEFAULT));

        ConfigProblems bad = new ConfigProblems();
        HybridHistogram.fromConfig(Config.of("targets.web.policy.adaptive", Map.of(
                "head-percentile", 99, "tail-percentile", 150, "margin", 1.5, "sharpness", 3)), bad);
        assertThatThrownBy(bad::throwIfAny)
                .hasMessageContaining("sharpness")
                .hasMessageContaining("targets.web.policy.adaptive.tail-percentile: must be a percentile between 0 and 100")
                .hasMessageContaining("targets.web.policy.adaptive.margin: must be a fraction");
    }
}
