package io.zeroscale.engine.process;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps replicas out of the daemon's process group. A terminal sends Ctrl-C (SIGINT) to its whole
 * foreground process group; a replica started as a plain child of the daemon is in that group and
 * dies with it, although the daemon's shutdown promises to leave workloads running. So each replica
 * is started through {@code setsid(1)} (util-linux), which gives it a session and process group of
 * its own and then execs the command in place: a child of the JVM is never a group leader, so
 * {@code setsid} does not fork and the pid the orchestrator records is the replica's own.
 *
 * <p>Stopping a replica that leads its own group signals the whole group ({@code kill -s TERM --
 * -pgid}), so the processes it started (workers, a wrapped server behind a shell script) stop with
 * it, as they would with Ctrl-C. A replica that does not lead its own group (started without
 * {@code setsid}, e.g. by an older version, and adopted) is signalled alone: its group is the
 * daemon's.
 *
 * <p>Without {@code setsid} on {@code PATH}, replicas are started as before, in the daemon's group.
 */
final class ProcessGroups {
    private static final Logger log = LoggerFactory.getLogger(ProcessGroups.class);

    private static final long KILL_COMMAND_TIMEOUT_SECONDS = 5;

    private final @Nullable Path setsid;
    private final @Nullable Path kill;

    ProcessGroups(@Nullable Path setsid, @Nullable Path kill) {
        this.setsid = setsid;
        this.kill = kill;
    }

    /** Looks for {@code setsid} and {@code kill} on the daemon's {@code PATH}. */
    static ProcessGroups fromEnvironment() {
        return fromPath(System.getenv("PATH"));
    }

    /** Looks for {@code setsid} and {@code kill} in the directories of {@code path} ({@code PATH} syntax). */
    static ProcessGroups fromPath(@Nullable String path) {
        Path here = Path.of("").toAbsolutePath();
        return new ProcessGroups(
                findExecutable("setsid", path, here).orElse(null), findExecutable("kill", path, here).orElse(null));
    }

    /** True when replicas get a session and process group of their own. */
    boolean isolates() {
        return setsid != null;
    }

    /** The command line that starts {@code command} in a new session, or {@code command} itself without setsid. */
    List<String> launchCommand(List<String> command) {
        if (setsid == null) {
            return command;
        }
        List<String> out = new ArrayList<>(command.size() + 1);
        out.add(setsid.toString());
        out.addAll(command);
        return out;
    }

    /**
     * Sends SIGTERM ({@code force} false) or SIGKILL to a replica: to its whole process group when it
     * leads one of its own, else to the process alone.
     */
    void signal(ProcessHandle handle, @Nullable Process process, boolean force) {
        // isAlive also compares the start time the handle was made with, so a reused pid is never
        // mistaken for the replica; a live (or unreaped) leader keeps its pid, and so its group id, taken.
        if (kill != null && handle.isAlive() && processGroupOf(handle.pid()).orElse(-1) == handle.pid()
                && signalGroup(kill, handle.pid(), force)) {
            return;
        }
        if (process != null) {
            if (force) {
                process.destroyForcibly();
            } else {
                process.destroy();
            }
        } else if (force) {
            handle.destroyForcibly();
        } else {
            handle.destroy();
        }
    }

    private static boolean signalGroup(Path kill, long pgid, boolean force) {
        String signal = force ? "KILL" : "TERM";
        try {
            Process process = new ProcessBuilder(kill.toString(), "-s", signal, "--", "-" + pgid)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            process.getOutputStream().close();
            if (!process.waitFor(KILL_COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                log.warn("{} -s {} -- -{} did not finish within {}s; signalling the replica alone", kill, signal,
                        pgid, KILL_COMMAND_TIMEOUT_SECONDS);
                return false;
            }
            if (process.exitValue() != 0) {
                log.debug("{} -s {} -- -{} exited with {}; signalling the replica alone", kill, signal, pgid,
                        process.exitValue());
                return false;
            }
            return true;
        } catch (IOException e) {
            log.warn("cannot run {} to signal process group {}; signalling the replica alone", kill, pgid, e);
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The process group of {@code pid} from {@code /proc/<pid>/stat}; empty where there is no procfs. */
    static OptionalLong processGroupOf(long pid) {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return OptionalLong.empty();
        }
        // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so count from the last ')'.
        int end = stat.lastIndexOf(')');
        if (end < 0) {
            return OptionalLong.empty();
        }
        String[] fields = stat.substring(end + 1).trim().split(" ");
        if (fields.length < 3) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(fields[2]));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * Where {@code program} would be found by {@code execvp}: a name with a slash relative to {@code
     * workdir}, any other name in the directories of {@code path} (an empty entry is {@code workdir}).
     */
    static Optional<Path> findExecutable(String program, @Nullable String path, Path workdir) {
        if (program.isEmpty()) {
            return Optional.empty();
        }
        try {
            if (program.contains("/")) {
                return executable(workdir.resolve(program));
            }
            if (path == null) {
                return Optional.empty();
            }
            for (String directory : path.split(File.pathSeparator, -1)) {
                Optional<Path> found = executable(
                        (directory.isEmpty() ? workdir : workdir.resolve(directory)).resolve(program));
                if (found.isPresent()) {
                    return found;
                }
            }
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static Optional<Path> executable(Path candidate) {
        return Files.isRegularFile(candidate) && Files.isExecutable(candidate) ? Optional.of(candidate) : Optional.empty();
    }

    @Override
    public String toString() {
        return setsid == null ? "the daemon's process group" : "own process groups (" + setsid + ")";
    }
}
