package io.zeroscale.engine.state;

import static io.zeroscale.spi.StandardErrorCode.DATA_DIRECTORY_IN_USE;
import static io.zeroscale.spi.StandardErrorCode.INTERNAL;

import io.zeroscale.spi.ZeroscaleException;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.InstantSource;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * One daemon per data directory: an exclusive lock on {@code <data-dir>/zeroscale.lock}, held for
 * the life of the engine and released by the operating system if the process dies. The holder
 * writes its pid, host and start time into the file; a second daemon that finds the lock taken
 * reads them and is refused with one line naming the directory and the holder (without this it
 * would adopt the first one's processes and both would act on them).
 */
public final class DataDirectoryLock implements AutoCloseable {
    /** The lock file's name inside the data directory. */
    public static final String FILE = "zeroscale.lock";
    /** Directories locked by this JVM: the OS lock is per process, so a second engine here must be caught apart. */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path directory;
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirectoryLock(Path directory, FileChannel channel, FileLock lock) {
        this.directory = directory;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks {@code dataDirectory} (creating it) for this process.
     *
     * @throws ZeroscaleException {@code DATA_DIRECTORY_IN_USE} when another daemon or engine holds it,
     *     naming the directory and the holder's pid
     */
    public static DataDirectoryLock acquire(Path dataDirectory, InstantSource clock) {
        Path directory = dataDirectory.toAbsolutePath().normalize();
        Path file = directory.resolve(FILE);
        if (!HELD.add(directory)) {
            throw inUse(directory, file, holder(file));
        }
        @Nullable FileChannel channel = null;
        try {
            Files.createDirectories(directory);
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw inUse(directory, file, holder(file));
            }
            String host;
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                host = "unknown host";
            }
            byte[] text = ("pid " + ProcessHandle.current().pid() + " on " + host + " since " + clock.instant() + "\n")
                    .getBytes(StandardCharsets.UTF_8);
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(text), 0);
            channel.force(true);
            return new DataDirectoryLock(directory, channel, lock);
        } catch (IOException e) {
            closeQuietly(channel);
            HELD.remove(directory);
            throw new ZeroscaleException(INTERNAL, "data-dir " + directory + ": cannot lock " + file + " (" + e
                    + "); make the directory writable for this user", e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            HELD.remove(directory);
            throw e;
        }
    }

    private static ZeroscaleException inUse(Path directory, Path file, String holder) {
        return new ZeroscaleException(DATA_DIRECTORY_IN_USE, "data-dir " + directory + " is in use by another zeroscale ("
                + holder + ", lock " + file + "); stop that one first, or give this one another data-dir");
    }

    /** What the holder wrote into the lock file, in one line. */
    private static String holder(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8).strip();
            return text.isEmpty() ? "holder unknown" : text.lines().findFirst().orElse(text);
        } catch (IOException e) {
            return "holder unknown";
        }
    }

    private static void closeQuietly(@Nullable FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // Nothing was locked through it.
            }
        }
    }

    /** The locked directory. */
    public Path directory() {
        return directory;
    }

    /** Releases the lock (the file stays). Idempotent. */
    @Override
    public synchronized void close() {
        if (!channel.isOpen()) {
            return;
        }
        try {
            lock.release();
        } catch (IOException ignored) {
            // Closing the channel below releases it too.
        }
        closeQuietly(channel);
        HELD.remove(directory);
    }

    @Override
    public String toString() {
        return "lock on " + directory.resolve(FILE);
    }
}
