package io.zeroscale.engine.state;

import static io.zeroscale.spi.StandardErrorCode.STATE_STORE_UNAVAILABLE;
import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.state.StateStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link StateStore} of one file per key under a directory (the daemon's {@code
 * <data-dir>/state}): key {@code targets/web.json} is the file {@code <root>/targets/web.json}.
 *
 * <p>A write goes to a temporary file in the same directory, is forced to disk, and is then moved
 * over the old file atomically (and the directory forced), so a crash leaves the old document or
 * the new one, never half of one. A document set aside is renamed to {@code
 * <file>.corrupt-<millis>} next to it and never listed or read again. Thread-safe; every method
 * blocks on the disk.
 */
public final class FileStateStore implements StateStore {
    private static final Logger log = LoggerFactory.getLogger(FileStateStore.class);
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._%+-]+");
    private static final String TEMPORARY = ".tmp";
    private static final String SET_ASIDE = ".corrupt-";

    private final Path root;
    private final InstantSource clock;

    /**
     * @param root the directory the files live in, created on the first write
     * @param clock names documents set aside ({@code .corrupt-<millis>})
     */
    public FileStateStore(Path root, InstantSource clock) {
        this.root = requireNonNull(root, "root is null").toAbsolutePath().normalize();
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** The directory the files live in. */
    public Path root() {
        return root;
    }

    /** The file of {@code key}. */
    public Path file(String key) {
        requireNonNull(key, "key is null");
        Path file = root;
        for (String segment : key.split("/", -1)) {
            if (!SEGMENT.matcher(segment).matches() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("state key '" + key + "': each segment between '/' must be letters, digits,"
                        + " '.', '_', '%', '+' or '-', and not '.' or '..'");
            }
            file = file.resolve(segment);
        }
        return file;
    }

    @Override
    public Optional<byte[]> read(String key) {
        Path file = file(key);
        try {
            return Optional.of(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new ZeroscaleException(STATE_STORE_UNAVAILABLE, "reading " + file + " failed: " + e, e);
        }
    }

    @Override
    public void write(String key, byte[] document) {
        Path file = file(key);
        Path directory = requireNonNull(file.getParent());
        Path temporary = null;
        try {
            Files.createDirectories(directory);
            temporary = Files.createTempFile(directory, "." + file.getFileName(), TEMPORARY);
            try (FileChannel out = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(document);
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
                out.force(true);
            }
            try {
                Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
            }
            temporary = null;
            forceDirectory(directory);
        } catch (IOException e) {
            throw new ZeroscaleException(STATE_STORE_UNAVAILABLE, "writing " + file + " failed: " + e, e);
        } finally {
            if (temporary != null) {
                try {
                    Files.deleteIfExists(temporary);
                } catch (IOException e) {
                    log.debug("could not remove {}", temporary, e);
                }
            }
        }
    }

    /** Makes the rename itself durable; not every file system can open a directory, which is fine. */
    private static void forceDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            log.debug("could not force directory {}", directory, e);
        }
    }

    @Override
    public void delete(String key) {
        Path file = file(key);
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new ZeroscaleException(STATE_STORE_UNAVAILABLE, "removing " + file + " failed: " + e, e);
        }
    }

    @Override
    public List<String> keys(String prefix) {
        // Only the directory the prefix names is walked, not the whole root: the engine lists one
        // target's keys per target at start, and walking every target's files for each was
        // quadratic (a thousand targets: millions of file checks, seconds of start).
        Path start = directoryOf(prefix);
        if (start == null || !Files.isDirectory(start)) {
            return List.of();
        }
        List<String> keys = new ArrayList<>();
        try (Stream<Path> files = Files.walk(start)) {
            files.filter(Files::isRegularFile).forEach(path -> {
                String name = path.getFileName().toString();
                if (name.endsWith(TEMPORARY) || name.contains(SET_ASIDE)) {
                    return;
                }
                String key = root.relativize(path).toString().replace(path.getFileSystem().getSeparator(), "/");
                if (key.startsWith(prefix)) {
                    keys.add(key);
                }
            });
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new ZeroscaleException(STATE_STORE_UNAVAILABLE, "listing " + root + " failed: " + e, e);
        }
        return keys;
    }

    /**
     * The deepest directory every key starting with {@code prefix} lies under: the root for a
     * prefix without '/', else the root plus the prefix's whole segments ({@code history/web/}
     * and {@code history/we} both give {@code <root>/history[/web]}); null when those segments
     * cannot be a key's (then no key starts with the prefix).
     */
    private @Nullable Path directoryOf(String prefix) {
        int slash = prefix.lastIndexOf('/');
        if (slash < 0) {
            return root;
        }
        Path directory = root;
        for (String segment : prefix.substring(0, slash).split("/", -1)) {
            if (!SEGMENT.matcher(segment).matches() || segment.equals(".") || segment.equals("..")) {
                return null;
            }
            directory = directory.resolve(segment);
        }
        return directory;
    }

    @Override
    public String setAside(String key, String reason) {
        Path file = file(key);
        Path aside = file.resolveSibling(file.getFileName() + SET_ASIDE + clock.millis());
        try {
            Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new ZeroscaleException(STATE_STORE_UNAVAILABLE, "setting " + file + " aside as " + aside + " failed: " + e, e);
        }
        return aside.toString();
    }

    @Override
    public String location(String key) {
        return file(key).toString();
    }

    @Override
    public String toString() {
        return "files under " + root;
    }
}
