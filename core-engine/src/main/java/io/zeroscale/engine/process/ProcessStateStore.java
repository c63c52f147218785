package io.zeroscale.engine.process;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zeroscale.spi.TargetRef;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.file.Files;
import java.nio.file.DirectoryStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The small file per workload in the plugin's data directory that lets the next run of the daemon
 * find the processes this one started: pid, the process's start instant (so a reused pid is never
 * mistaken for ours), port and command line. Written atomically on every change of the replica
 * set.
 */
final class ProcessStateStore {
    static final int VERSION = 1;
    /**
     * How many logs of a target's stopped replicas are kept (the newest by modification time);
     * every log of a live replica is kept too. Without a bound a target woken every few minutes
     * would fill the disk with one file per wake (each wake usually gets another port).
     */
    static final int KEPT_STOPPED_LOGS = 5;

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

    /**
     * Deletes the logs of {@code target}'s stopped replicas beyond the newest {@link
     * #KEPT_STOPPED_LOGS}. The logs of {@code livePorts} are never touched: a running replica's
     * output goes straight to its file, and its last lines explain a failure.
     *
     * @return the logs deleted
     */
    List<Path> pruneLogs(TargetRef target, Set<Integer> livePorts) throws IOException {
        Pattern name = Pattern.compile(Pattern.quote(baseName(target) + ".") + "(\\d+)\\.log");
        List<Path> stopped = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
            for (Path file : files) {
                Matcher matcher = name.matcher(file.getFileName().toString());
                if (matcher.matches() && !livePorts.contains(Integer.parseInt(matcher.group(1)))) {
                    stopped.add(file);
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        }
        if (stopped.size() <= KEPT_STOPPED_LOGS) {
            return List.of();
        }
        Map<Path, FileTime> modified = new HashMap<>();
        for (Path file : stopped) {
            modified.put(file, Files.getLastModifiedTime(file));
        }
        stopped.sort(Comparator.comparing((Path file) -> modified.get(file)).reversed()
                .thenComparing(Comparator.naturalOrder()));
        List<Path> deleted = new ArrayList<>();
        for (Path file : stopped.subList(KEPT_STOPPED_LOGS, stopped.size())) {
            Files.deleteIfExists(file);
            deleted.add(file);
        }
        return deleted;
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
