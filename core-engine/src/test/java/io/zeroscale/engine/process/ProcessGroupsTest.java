package io.zeroscale.engine.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding setsid and a replica's program the way execvp would, and reading process groups. */
class ProcessGroupsTest {
    @TempDir
    Path directory;

    @Test
    void findsAProgramOnPathOrRelativeToTheWorkdirAndOnlyWhenItIsExecutable() throws Exception {
        Path bin = Files.createDirectory(directory.resolve("bin"));
        Path serve = Files.writeString(bin.resolve("serve"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(serve, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path plain = Files.writeString(bin.resolve("notes"), "text");

        assertThat(ProcessGroups.findExecutable("serve", "/nonexistent:" + bin, directory)).hasValue(serve);
        assertThat(ProcessGroups.findExecutable("serve", "bin", directory)).as("a relative PATH entry").hasValue(serve);
        assertThat(ProcessGroups.findExecutable("bin/serve", null, directory)).hasValue(directory.resolve("bin/serve"));
        assertThat(ProcessGroups.findExecutable("notes", bin.toString(), directory)).as("not executable").isEmpty();
        assertThat(ProcessGroups.findExecutable("serve", "/nonexistent", directory)).isEmpty();
        assertThat(ProcessGroups.findExecutable(plain.toString(), null, directory)).isEmpty();
        assertThat(ProcessGroups.findExecutable("bin", directory.toString(), directory)).as("a directory").isEmpty();
    }

    @Test
    void withoutSetsidTheCommandIsStartedAsItIs() {
        ProcessGroups groups = ProcessGroups.fromPath("/nonexistent");

        assertThat(groups.isolates()).isFalse();
        assertThat(groups.launchCommand(List.of("python", "serve.py"))).containsExactly("python", "serve.py");
    }

    @Test
    void withSetsidTheCommandRunsThroughIt() {
        ProcessGroups groups = ProcessGroups.fromEnvironment();

        assertThat(groups.isolates()).as("setsid on PATH (install it with: apt-get install util-linux)").isTrue();
        assertThat(groups.launchCommand(List.of("python", "serve.py")))
                .hasSize(3)
                .endsWith("python", "serve.py")
                .first().asString().endsWith("/setsid");
    }

    @Test
    void readsTheProcessGroupOfALiveProcess() {
        long self = ProcessHandle.current().pid();

        assertThat(ProcessGroups.processGroupOf(self)).isPresent();
        assertThat(ProcessGroups.processGroupOf(Long.MAX_VALUE)).as("no such process").isEmpty();
    }
}
