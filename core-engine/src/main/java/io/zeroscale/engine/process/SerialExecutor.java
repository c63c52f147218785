package io.zeroscale.engine.process;

import static java.util.Objects.requireNonNull;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in submission order, on a delegate executor: the watch events of one
 * workload reach its listeners in the order they happened without holding the workload's lock
 * while a listener runs.
 */
final class SerialExecutor implements Executor {
    private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);

    private final Executor delegate;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();

    SerialExecutor(Executor delegate) {
        this.delegate = requireNonNull(delegate, "delegate is null");
    }

    @Override
    public void execute(Runnable task) {
        tasks.add(requireNonNull(task, "task is null"));
        startDraining();
    }

    private void startDraining() {
        if (!draining.compareAndSet(false, true)) {
            return;
        }
        try {
            delegate.execute(this::drain);
        } catch (RejectedExecutionException e) {
            // The executor is shut down: nobody is left to deliver to.
            draining.set(false);
            tasks.clear();
            log.debug("dropped events: executor rejected the delivery", e);
        }
    }

    private void drain() {
        try {
            Runnable task;
            while ((task = tasks.poll()) != null) {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    log.warn("event delivery failed", e);
                }
            }
        } finally {
            draining.set(false);
            // A task added between the last poll and the reset above must not be stranded.
            if (!tasks.isEmpty()) {
                startDraining();
            }
        }
    }
}
