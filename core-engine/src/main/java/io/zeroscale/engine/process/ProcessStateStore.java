package io.zeroscale.engine.process;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zeroscale.spi.TargetRef;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The small file per workload in the plugin's data directory that lets the next run of the daemon
 * find the processes this one started: pid, the process's start instant (so a reused pid is never
 * mistaken for ours), port and command line. Written atomically on every change of the replica
 * set.
 */
final class ProcessStateStore {
    static final int VERSION = 1;

    private static final ObjectMapper JSON =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final Path directory;

    ProcessStateStore(Path directory) {
        this.directory = requireNonNull(directory, "directory is null");
    }

    Path directory() {
        return directory;
    }

    /** The state file of {@code target}; names are encoded so any target maps to one safe file. */
    Path stateFile(TargetRef target) {
        return directory.resolve(baseName(target) + ".json");
    }

    /** Where the output of the replica of {@code target} on {@code port} is appended. */
    Path logFile(TargetRef target, int port) {
        return directory.resolve(baseName(target) + "." + port + ".log");
    }

    /** The replicas recorded for {@code target}; empty when there is no file yet. */
    List<SavedReplica> read(TargetRef target) throws IOException {
        try {
            SavedWorkload saved = JSON.readValue(Files.readAllBytes(stateFile(target)), SavedWorkload.class);
            if (saved.version() != VERSION) {
                throw new IOException("unsupported state file version " + saved.version() + ", expected " + VERSION);
            }
            return saved.replicas();
        } catch (NoSuchFileException e) {
            return List.of();
        }
    }

    void write(TargetRef target, List<SavedReplica> replicas) throws IOException {
        Files.createDirectories(directory);
        Path file = stateFile(target);
        Path temporary = Files.createTempFile(directory, file.getFileName().toString(), ".tmp");
        try {
            Files.write(temporary, JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsBytes(new SavedWorkload(VERSION, target.toString(), replicas)));
            // A crash mid-write must leave the previous file, never a torn one.
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    private static String baseName(TargetRef target) {
        String key = target.kind() + "/" + (target.namespace() == null ? "" : target.namespace()) + "/" + target.name();
        return URLEncoder.encode(key, UTF_8);
    }

    /** The file's content. */
    record SavedWorkload(int version, String target, List<SavedReplica> replicas) {
        SavedWorkload {
            requireNonNull(target, "target is null");
            replicas = List.copyOf(requireNonNull(replicas, "replicas is null"));
        }
    }

    /**
     * One replica as recorded.
     *
     * @param pid the process id
     * @param startedAt the process's start instant as {@link java.time.Instant#toString()}, or null
     *     when the operating system did not report it (such a replica is never adopted)
     * @param port the port it serves on
     * @param command its command line
     * @param stopping true once it was asked to stop
     */
    record SavedReplica(long pid, @Nullable String startedAt, int port, List<String> command, boolean stopping) {
        SavedReplica {
            command = List.copyOf(requireNonNull(command, "command is null"));
        }
    }
}
