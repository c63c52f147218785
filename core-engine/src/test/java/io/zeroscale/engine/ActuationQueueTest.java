package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.engine.ActuationQueue.Kind;
import io.zeroscale.engine.ActuationQueue.Outcome;
import io.zeroscale.spi.Leadership;
import io.zeroscale.spi.Subscription;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The per-target call queue on real (virtual) threads: never two calls at once, calls in the order
 * they were submitted, and leadership checked right before each write.
 */
class ActuationQueueTest {
    private final ExecutorService blocking = Executors.newVirtualThreadPerTaskExecutor();
    private final TestLeadership leadership = new TestLeadership(true);
    private final ActuationQueue queue = new ActuationQueue("app", blocking, leadership);
    /** What the "orchestrator" saw, in the order it saw it. */
    private final List<String> made = Collections.synchronizedList(new ArrayList<>());
    private final List<String> outcomes = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger overlaps = new AtomicInteger();

    @AfterEach
    void stop() {
        blocking.shutdownNow();
    }

    /** A call that takes a little while and records any other call running at the same time. */
    private String call(String name) {
        if (running.incrementAndGet() > 1) {
            overlaps.incrementAndGet();
        }
        try {
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
            made.add(name);
            return name;
        } finally {
            running.decrementAndGet();
        }
    }

    private void submit(Kind kind, String name, String key, CountDownLatch done) {
        queue.submit(kind, name, key, () -> call(name), outcome -> {
            outcomes.add(switch (outcome) {
                case Outcome.Done<String> d -> "done " + d.value();
                case Outcome.Failed<String> f -> "failed " + f.error().getMessage();
                case Outcome.Skipped<String> s -> "skipped " + name;
            });
            done.countDown();
        });
    }

    @Test
    void oneCallAtATimeInSubmissionOrder() throws InterruptedException {
        int count = 300;
        CountDownLatch done = new CountDownLatch(count);
        List<String> submitted = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String name = (i % 3 == 0 ? "resume-" : i % 3 == 1 ? "scale-" : "pause-") + i;
            submitted.add(name);
            submit(Kind.WRITE, name, null, done);
            if (i % 17 == 0) {
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(300)); // let the queue drain now and then
            }
        }
        assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(overlaps.get()).as("calls that overlapped another call").isZero();
        assertThat(made).containsExactlyElementsOf(submitted);
        assertThat(queue.size()).isZero();
    }

    @Test
    void aWaitingScaleIsReplacedInPlaceByANewerOne() throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(3);
        // The first call blocks, so everything after it waits.
        queue.submit(Kind.WRITE, "resume", null, () -> {
            awaitQuietly(release);
            return call("resume");
        }, outcome -> done.countDown());
        submit(Kind.WRITE, "scale-1", "scale", done);
        submit(Kind.WRITE, "pause", null, done);
        boolean replaced = queue.submit(Kind.WRITE, "scale-3", "scale", () -> call("scale-3"), outcome -> {
            outcomes.add("done scale-3");
            done.countDown();
        });
        assertThat(replaced).isTrue();
        release.countDown();
        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(made).as("the newest count, where the first was queued").containsExactly("resume", "scale-3", "pause");
        assertThat(outcomes).doesNotContain("done scale-1");
    }

    @Test
    void aFollowerMakesNoWriteButReadsAndWakesConditionally() throws InterruptedException {
        leadership.set(false);
        CountDownLatch done = new CountDownLatch(3);
        submit(Kind.READ, "observe", "observe", done);
        submit(Kind.WRITE, "scale-0", "scale", done);
        submit(Kind.CONDITIONAL_WAKE, "wake-if-zero", "wake", done);
        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(made).containsExactly("observe", "wake-if-zero");
        assertThat(outcomes).containsExactly("done observe", "skipped scale-0", "done wake-if-zero");
    }

    @Test
    void leadershipIsCheckedWhenTheCallRunsNotWhenItWasQueued() throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(2);
        queue.submit(Kind.READ, "observe", null, () -> {
            awaitQuietly(release);
            return call("observe");
        }, outcome -> done.countDown());
        submit(Kind.WRITE, "scale-0", "scale", done); // queued while still the leader
        leadership.set(false);
        release.countDown();
        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(made).containsExactly("observe");
        assertThat(outcomes).containsExactly("skipped scale-0");
    }

    @Test
    void aFailingCallIsReportedAndTheQueueGoesOn() throws InterruptedException {
        CountDownLatch done = new CountDownLatch(2);
        queue.submit(Kind.WRITE, "scale", null, () -> {
            throw new IllegalStateException("backend down");
        }, outcome -> {
            outcomes.add(outcome instanceof Outcome.Failed<?> f ? "failed " + f.error().getMessage() : "unexpected " + outcome);
            done.countDown();
        });
        submit(Kind.READ, "observe", null, done);
        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(outcomes).containsExactly("failed backend down", "done observe");
    }

    @Test
    void nothingRunsAfterClose() throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch first = new CountDownLatch(1);
        queue.submit(Kind.READ, "observe", null, () -> {
            running.countDown();
            awaitQuietly(release);
            return call("observe");
        }, outcome -> first.countDown());
        submit(Kind.WRITE, "scale-0", "scale", new CountDownLatch(1));
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue(); // close() would drop it while it waited
        queue.close();
        submit(Kind.WRITE, "scale-1", "scale", new CountDownLatch(1));
        release.countDown();
        assertThat(first.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(made).containsExactly("observe");
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Leadership a test hands over by calling {@link #set}. */
    static final class TestLeadership implements Leadership {
        private final AtomicBoolean leader;
        private final List<Runnable> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

        TestLeadership(boolean leader) {
            this.leader = new AtomicBoolean(leader);
        }

        void set(boolean leader) {
            this.leader.set(leader);
            listeners.forEach(Runnable::run);
        }

        @Override
        public boolean isLeader() {
            return leader.get();
        }

        @Override
        public Subscription subscribe(Runnable listener) {
            listeners.add(listener);
            return () -> listeners.remove(listener);
        }
    }
}
