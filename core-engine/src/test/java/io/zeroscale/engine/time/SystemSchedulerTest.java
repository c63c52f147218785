package io.zeroscale.engine.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.zeroscale.spi.Subscription;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SystemSchedulerTest {
    private final SystemScheduler scheduler = new SystemScheduler();

    @AfterEach
    void tearDown() {
        scheduler.close();
    }

    @Test
    void aScheduledTaskRunsOnTheSchedulerThreadNotInline() {
        AtomicReference<Thread> ranOn = new AtomicReference<>();

        scheduler.schedule(Duration.ZERO, () -> ranOn.set(Thread.currentThread()));

        await().atMost(Duration.ofSeconds(10)).until(() -> ranOn.get() != null);
        assertThat(ranOn.get()).isNotSameAs(Thread.currentThread());
        assertThat(ranOn.get().getName()).isEqualTo("zeroscale-scheduler");
    }

    @Test
    void aTaskRunsNoEarlierThanItsDelayByTheSchedulersClock() {
        Instant scheduledAt = scheduler.clock().instant();
        AtomicReference<Instant> ranAt = new AtomicReference<>();

        scheduler.schedule(Duration.ofMillis(200), () -> ranAt.set(scheduler.clock().instant()));

        await().atMost(Duration.ofSeconds(10)).until(() -> ranAt.get() != null);
        assertThat(Duration.between(scheduledAt, ranAt.get())).isGreaterThanOrEqualTo(Duration.ofMillis(200));
    }

    @Test
    void aCancelledTaskNeverRuns() {
        AtomicInteger runs = new AtomicInteger();
        Subscription subscription = scheduler.schedule(Duration.ofMillis(300), runs::incrementAndGet);

        subscription.close();
        subscription.close();

        AtomicInteger marker = new AtomicInteger();
        scheduler.schedule(Duration.ofMillis(600), marker::incrementAndGet);
        await().atMost(Duration.ofSeconds(10)).until(() -> marker.get() == 1);
        assertThat(runs).hasValue(0);
    }

    @Test
    void aPeriodicTaskKeepsRunningAfterItThrows() {
        AtomicInteger runs = new AtomicInteger();

        Subscription subscription = scheduler.scheduleAtFixedRate(Duration.ofMillis(20), () -> {
            if (runs.incrementAndGet() == 1) {
                throw new IllegalStateException("first run fails");
            }
        });

        await().atMost(Duration.ofSeconds(10)).until(() -> runs.get() >= 3);
        subscription.close();
    }

    @Test
    void rejectsANonPositivePeriodAndWorkAfterClose() {
        assertThatThrownBy(() -> scheduler.scheduleAtFixedRate(Duration.ZERO, () -> {}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("period must be positive, got PT0S");

        scheduler.close();

        assertThatThrownBy(() -> scheduler.schedule(Duration.ZERO, () -> {}))
                .isInstanceOf(RejectedExecutionException.class);
    }
}
