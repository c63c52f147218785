package io.zeroscale.engine.state;

import java.io.IOException;
import java.nio.file.Path;
import java.time.InstantSource;

/** Another process for {@link DataDirectoryLockTest}: locks the directory, says so, holds it until stdin closes. */
public final class LockHolder {
    private LockHolder() {}

    public static void main(String[] args) throws IOException {
        try (DataDirectoryLock lock = DataDirectoryLock.acquire(Path.of(args[0]), InstantSource.system())) {
            System.out.println("locked " + lock.directory());
            System.out.flush();
            while (System.in.read() >= 0) {
                // Holds the lock until the test closes our stdin (or kills us).
            }
        }
    }
}
