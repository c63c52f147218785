package io.zeroscale.engine.time;

import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.Subscription;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.PriorityQueue;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * Virtual time for tests and simulations: nothing happens until the caller {@link #advance}s the
 * clock, and then every task that falls due runs on the caller's thread, in due order (ties in
 * submission order). Deterministic, and hours of policy behaviour replay in milliseconds.
 *
 * <p>Not thread-safe: one thread drives it.
 */
public final class VirtualScheduler implements Scheduler {
    private final PriorityQueue<Task> queue = new PriorityQueue<>();
    private Instant now;
    private long sequence;

    public VirtualScheduler(Instant start) {
        this.now = start;
    }

    @Override
    public InstantSource clock() {
        return () -> now;
    }

    public Instant now() {
        return now;
    }

    /** An executor that runs tasks at the current virtual time on the next {@link #advance}. */
    public Executor executor() {
        return task -> schedule(Duration.ZERO, task);
    }

    @Override
    public Subscription schedule(Duration delay, Runnable task) {
        Task entry = new Task(now.plus(delay.isNegative() ? Duration.ZERO : delay), sequence++, task, null);
        queue.add(entry);
        return () -> entry.cancelled = true;
    }

    @Override
    public Subscription scheduleAtFixedRate(Duration period, Runnable task) {
        if (period.isZero() || period.isNegative()) {
            throw new IllegalArgumentException("period must be positive, got " + period);
        }
        Task entry = new Task(now.plus(period), sequence++, task, period);
        queue.add(entry);
        return () -> entry.cancelled = true;
    }

    /** Runs everything that is due now, including tasks those tasks schedule for now. */
    public void runDue() {
        advance(Duration.ZERO);
    }

    /** Moves the clock forward by {@code duration}, running every task that falls due on the way. */
    public void advance(Duration duration) {
        advanceTo(now.plus(duration));
    }

    /** Moves the clock to {@code end} (not backwards), running due tasks in order. */
    public void advanceTo(Instant end) {
        if (end.isBefore(now)) {
            throw new IllegalArgumentException("virtual time cannot go back from " + now + " to " + end);
        }
        while (!queue.isEmpty() && !queue.peek().due.isAfter(end)) {
            Task task = queue.poll();
            if (task.isCancelled()) {
                continue;
            }
            now = task.due;
            Duration period = task.period;
            if (period != null) {
                queue.add(new Task(task.due.plus(period), sequence++, task.action, period, task));
            }
            task.action.run();
        }
        now = end;
    }

    /** Number of tasks waiting, cancelled ones included until they come due. */
    public int pending() {
        return queue.size();
    }

    /** Number of tasks waiting that were not cancelled (a re-set timer leaves its cancelled one in {@link #pending()}). */
    public int live() {
        return (int) queue.stream().filter(task -> !task.isCancelled()).count();
    }

    private static final class Task implements Comparable<Task> {
        final Instant due;
        final long order;
        final Runnable action;
        final @Nullable Duration period;
        // Periodic tasks are re-queued as new entries sharing the cancellation flag of the first.
        final Task origin;
        volatile boolean cancelled;

        Task(Instant due, long order, Runnable action, @Nullable Duration period) {
            this.due = due;
            this.order = order;
            this.action = action;
            this.period = period;
            this.origin = this;
        }

        Task(Instant due, long order, Runnable action, Duration period, Task previous) {
            this.due = due;
            this.order = order;
            this.action = action;
            this.period = period;
            this.origin = previous.origin;
        }

        boolean isCancelled() {
            return origin.cancelled;
        }

        @Override
        public int compareTo(Task other) {
            int byDue = due.compareTo(other.due);
            return byDue != 0 ? byDue : Long.compare(order, other.order);
        }
    }
}
