package io.zeroscale.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestPluginContextTest {
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void aPluginsEngineListenerHearsWhatTheTestPublishesUntilItCloses() {
        try (TestPluginContext context = TestPluginContext.at(NOW)) {
            java.util.List<io.zeroscale.spi.events.EngineEvent> heard = new java.util.ArrayList<>();
            io.zeroscale.spi.Subscription subscription = context.subscribe(heard::add);
            io.zeroscale.spi.events.EngineEvent.Journalled entry = new io.zeroscale.spi.events.EngineEvent.Journalled(NOW,
                    io.zeroscale.spi.TargetRef.of("k8s", "Deployment", "web"), "SAFETY", "ACTIVE", 2,
                    io.zeroscale.spi.traffic.Routing.FORWARD, "kept 2 replicas instead of 0");
            context.publish(entry);
            assertThat(heard).containsExactly(entry);
            assertThat(entry.warning()).isTrue();
            assertThat(context.listeners()).isEqualTo(1);

            subscription.close();
            context.publish(entry);
            assertThat(heard).hasSize(1);
            assertThat(context.listeners()).isZero();
        }
    }

    @Test
    void aFixedContextStandsStillAndRefusesWhatItLacks() {
        try (TestPluginContext context = TestPluginContext.at(NOW)) {
            assertThat(context.scheduler().clock().instant()).isEqualTo(NOW);
            assertThatThrownBy(() -> context.scheduler().schedule(Duration.ZERO, () -> {}))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("realTimer()");
            assertThatThrownBy(() -> context.scheduler().scheduleAtFixedRate(Duration.ofSeconds(1), () -> {}))
                    .isInstanceOf(AssertionError.class);
            assertThatThrownBy(context::dataDirectory)
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("dataDirectory(dir)");
        }
    }

    @Test
    void aRealTimeContextRunsTasksUntilClosed(@TempDir Path dir) {
        AtomicInteger once = new AtomicInteger();
        AtomicInteger periodic = new AtomicInteger();
        AtomicInteger blocking = new AtomicInteger();
        TestPluginContext context = TestPluginContext.realTime(dir);
        context.scheduler().schedule(Duration.ofMillis(-5), once::incrementAndGet);
        context.scheduler().scheduleAtFixedRate(Duration.ofMillis(1), () -> {
            if (periodic.incrementAndGet() == 1) {
                throw new IllegalStateException("expected by the test: a failing periodic task keeps running");
            }
        });
        context.blockingExecutor().execute(blocking::incrementAndGet);

        await().atMost(Duration.ofSeconds(10)).until(() -> once.get() == 1 && periodic.get() >= 3 && blocking.get() == 1);
        assertThat(context.dataDirectory()).isEqualTo(dir);

        context.close();
        assertThatThrownBy(() -> context.scheduler().schedule(Duration.ZERO, () -> {}))
                .isInstanceOf(RejectedExecutionException.class);
    }
}
