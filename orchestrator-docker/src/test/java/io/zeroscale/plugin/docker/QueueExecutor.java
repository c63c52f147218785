package io.zeroscale.plugin.docker;

import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.Executor;

/** Collects tasks until the test runs them, so unit tests decide when background work happens. */
final class QueueExecutor implements Executor {
    private final Queue<Runnable> queue = new ArrayDeque<>();

    @Override
    public synchronized void execute(Runnable task) {
        queue.add(task);
    }

    /** Runs queued tasks, including those they queue, until none is left. */
    void runAll() {
        while (true) {
            Runnable next;
            synchronized (this) {
                next = queue.poll();
            }
            if (next == null) {
                return;
            }
            next.run();
        }
    }
}
