package io.zeroscale.plugin.tempo;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class WindowTest {
    private static final Instant NOW = Instant.parse("2026-01-01T01:00:07.500Z");

    private static long epoch(String time) {
        return Instant.parse(time).getEpochSecond();
    }

    @Test
    void theWindowEndsIngestLagBeforeNowAlignedDownToTheStep() {
        assertThat(Window.of(NOW, Duration.ofSeconds(40), Duration.ofMinutes(5), 60))
                .isEqualTo(new Window(epoch("2026-01-01T00:54:00Z"), epoch("2026-01-01T00:59:00Z")));
        assertThat(Window.of(NOW, Duration.ofSeconds(40), Duration.ofMinutes(5), 1))
                .isEqualTo(new Window(epoch("2026-01-01T00:54:27Z"), epoch("2026-01-01T00:59:27Z")));
    }

    @Test
    void aWindowThatIsNotWholeStepsIsRoundedUp() {
        assertThat(Window.of(NOW, Duration.ZERO, Duration.ofSeconds(90), 60).seconds()).isEqualTo(120);
        assertThat(Window.of(NOW, Duration.ZERO, Duration.ofMillis(1), 1).seconds()).isEqualTo(1);
    }

    @Test
    void theDefaultStepIsTheWholeWindowInSeconds() {
        assertThat(Window.seconds(Duration.ofMinutes(5))).isEqualTo(300);
        assertThat(Window.seconds(Duration.ofMillis(1500))).isEqualTo(2);
    }
}
