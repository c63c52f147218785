package io.zeroscale.engine.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirectoryLockTest {
    private static final InstantSource CLOCK = InstantSource.fixed(Instant.parse("2026-01-01T00:00:00Z"));

    @TempDir
    Path directory;

    @Test
    void aSecondEngineInThisProcessIsRefusedUntilTheFirstCloses() throws Exception {
        try (DataDirectoryLock first = DataDirectoryLock.acquire(directory, CLOCK)) {
            assertThatThrownBy(() -> DataDirectoryLock.acquire(directory, CLOCK))
                    .isInstanceOfSatisfying(ZeroscaleException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(StandardErrorCode.DATA_DIRECTORY_IN_USE))
                    .hasMessage("data-dir " + directory.toAbsolutePath() + " is in use by another zeroscale (pid "
                            + ProcessHandle.current().pid() + " on " + hostName() + " since 2026-01-01T00:00:00Z, lock "
                            + directory.toAbsolutePath().resolve(DataDirectoryLock.FILE)
                            + "); stop that one first, or give this one another data-dir");
            assertThat(first.directory()).isEqualTo(directory.toAbsolutePath());
        }
        DataDirectoryLock.acquire(directory, CLOCK).close();
    }

    @Test
    void aLockHeldByAnotherProcessIsRefusedNamingItsPidAndFreedWhenItDies() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process holder = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"), LockHolder.class.getName(),
                directory.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).as("the other process's first line").startsWith("locked ");

            assertThatThrownBy(() -> DataDirectoryLock.acquire(directory, CLOCK))
                    .isInstanceOf(ZeroscaleException.class)
                    .hasMessageStartingWith("data-dir " + directory.toAbsolutePath() + " is in use by another zeroscale (pid "
                            + holder.pid() + " on ")
                    .hasMessageNotContaining("\n");
        } finally {
            holder.destroyForcibly();
            assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        // The operating system released the dead holder's lock: the next start needs no cleanup.
        DataDirectoryLock.acquire(directory, CLOCK).close();
    }

    private static String hostName() throws java.net.UnknownHostException {
        return java.net.InetAddress.getLocalHost().getHostName();
    }
}
