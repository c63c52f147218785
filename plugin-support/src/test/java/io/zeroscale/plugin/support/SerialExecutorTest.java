package io.zeroscale.plugin.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SerialExecutorTest {
    @Test
    void tasksRunOneAtATimeInSubmissionOrderAndAFailingOneDoesNotStopTheRest() throws Exception {
        List<Integer> ran = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            SerialExecutor serial = new SerialExecutor(pool);
            for (int i = 0; i < 1000; i++) {
                int n = i;
                serial.execute(() -> {
                    // Unsynchronised on purpose: only one task at a time may touch the list.
                    ran.add(n);
                    if (n == 500) {
                        throw new IllegalStateException("listener failed");
                    }
                });
            }
            serial.execute(done::countDown);
            assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(ran).hasSize(1000).isSorted();
    }

    @Test
    void aShutDownDelegateDropsTasksInsteadOfThrowing() {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        pool.shutdown();
        SerialExecutor serial = new SerialExecutor(pool);

        assertThatCode(() -> serial.execute(() -> {})).doesNotThrowAnyException();
    }
}
