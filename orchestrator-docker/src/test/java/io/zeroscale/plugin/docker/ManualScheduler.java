package io.zeroscale.plugin.docker;

import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.Subscription;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** Virtual time for unit tests: tasks run only when the test advances the clock past them. */
final class ManualScheduler implements Scheduler {
    private final List<Task> tasks = new ArrayList<>();
    private Instant now = Instant.parse("2026-01-01T00:00:00Z");
    private long sequence;

    @Override
    public synchronized InstantSource clock() {
        Instant at = now;
        return () -> at;
    }

    @Override
    public synchronized Subscription schedule(Duration delay, Runnable task) {
        Task t = new Task(now.plus(delay.isNegative() ? Duration.ZERO : delay), null, task, sequence++);
        tasks.add(t);
        return () -> remove(t);
    }

    @Override
    public synchronized Subscription scheduleAtFixedRate(Duration period, Runnable task) {
        Task t = new Task(now.plus(period), period, task, sequence++);
        tasks.add(t);
        return () -> remove(t);
    }

    private synchronized void remove(Task task) {
        tasks.removeIf(t -> t.sequence == task.sequence);
    }

    /** Moves time by {@code step}, running every task that falls due, in due order. */
    void advance(Duration step) {
        Instant end;
        synchronized (this) {
            end = now.plus(step);
        }
        while (true) {
            Task due;
            synchronized (this) {
                Optional<Task> next = tasks.stream()
                        .filter(t -> !t.due.isAfter(end))
                        .min(Comparator.comparing((Task t) -> t.due).thenComparingLong(t -> t.sequence));
                if (next.isEmpty()) {
                    now = end;
                    return;
                }
                due = next.get();
                tasks.remove(due);
                now = due.due;
                if (due.period != null) {
                    tasks.add(new Task(due.due.plus(due.period), due.period, due.task, due.sequence));
                }
            }
            due.task.run();
        }
    }

    synchronized int pending() {
        return tasks.size();
    }

    private record Task(Instant due, Duration period, Runnable task, long sequence) {}
}
