package io.zeroscale.engine.process;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads the last lines a replica wrote to its log file, to say why it failed. */
final class ProcessLogTail {
    private static final Logger log = LoggerFactory.getLogger(ProcessLogTail.class);

    /** Enough for the last lines of an error; a replica that prints megabytes must not be read whole. */
    static final int MAX_BYTES = 8 * 1024;

    private ProcessLogTail() {}

    /**
     * The last {@code lines} non-blank lines of {@code file} written at or after byte {@code from},
     * oldest first; empty when there are none or the file cannot be read (the failure is reported
     * without output then, never not at all).
     */
    static List<String> lastLines(Path file, long from, int lines) {
        if (!Files.isRegularFile(file)) {
            return List.of();
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            long end = raf.length();
            long start = Math.max(Math.max(0, from), end - MAX_BYTES);
            if (start >= end) {
                return List.of();
            }
            byte[] bytes = new byte[(int) (end - start)];
            raf.seek(start);
            raf.readFully(bytes);
            List<String> all = Arrays.stream(new String(bytes, StandardCharsets.UTF_8).split("\\R"))
                    .map(String::strip)
                    .filter(line -> !line.isEmpty())
                    .toList();
            // A window that starts mid-file may begin with half a line: drop it.
            if (start > Math.max(0, from) && all.size() > 1) {
                all = all.subList(1, all.size());
            }
            return List.copyOf(all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            log.debug("cannot read {}", file, e);
            return List.of();
        }
    }
}
