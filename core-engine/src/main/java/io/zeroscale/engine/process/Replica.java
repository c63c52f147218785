package io.zeroscale.engine.process;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Subscription;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One running copy of a workload's command. The mutable fields are guarded by the lock of the
 * workload that owns it.
 */
final class Replica {
    final ProcessHandle handle;
    /** The process when this run started it; null when adopted from a previous run. */
    final @Nullable Process process;

    final int port;
    final @Nullable Instant startedAt;
    final List<String> command;

    boolean ready;
    boolean stopping;
    boolean gone;
    int failedProbes;
    /** Where this run's output begins in the replica's log file; 0 for an adopted replica (whole tail). */
    long logStart;
    Subscription probe = Subscription.NONE;
    Subscription forceKill = Subscription.NONE;
    Subscription startDeadline = Subscription.NONE;
    /** What the newest probe said, for the reason of a replica that never got ready. */
    String lastProbe = "not probed yet";

    Replica(ProcessHandle handle, @Nullable Process process, int port, @Nullable Instant startedAt, List<String> command) {
        this.handle = requireNonNull(handle, "handle is null");
        this.process = process;
        this.port = port;
        this.startedAt = startedAt;
        this.command = List.copyOf(command);
    }

    long pid() {
        return handle.pid();
    }

    ProcessStateStore.SavedReplica saved() {
        return new ProcessStateStore.SavedReplica(
                pid(), startedAt == null ? null : startedAt.toString(), port, command, stopping);
    }

    @Override
    public String toString() {
        return "pid " + pid() + " on port " + port;
    }
}
