package io.zeroscale.daemon.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's ahead-of-time cache (bin/zeroscale, Java 25+): {@code run} makes it once by a
 * training start and then starts from it; a missing, corrupt or unwritable cache never stops a
 * start. Each case starts the real daemon with the hidden {@code --exit-when-ready} (it stops as
 * SIGTERM would once ready), so exit 0 means it started.
 */
class LauncherAotCacheIT {
    @TempDir
    Path work;

    @Test
    void runMakesTheCacheOnceWhenAskedThenStartsFromItsClasses() throws Exception {
        requireJava25();
        Path aot = work.resolve("aot");
        Result first = zeroscale(Map.of("ZEROSCALE_AOT_DIR", aot.toString(), "ZEROSCALE_AOT", "auto"), "run", "--config", config().toString(), "--exit-when-ready");
        assertThat(first.exit()).as(first.toString()).isZero();
        assertThat(first.stderr()).contains("making the ahead-of-time cache " + aot.resolve("zeroscale.aot"));
        assertThat(aot.resolve("zeroscale.aot")).isNotEmptyFile();
        assertThat(aot.resolve("zeroscale.aot.stamp")).isNotEmptyFile();
        long made = Files.getLastModifiedTime(aot.resolve("zeroscale.aot")).toMillis();

        // The next start uses it: classes of the daemon come from the cache ("shared objects file").
        // ZEROSCALE_OPTS is part of the stamp, so the cache is made again for these options first.
        Result second = zeroscale(Map.of("ZEROSCALE_AOT_DIR", aot.toString(), "ZEROSCALE_AOT", "auto", "ZEROSCALE_OPTS", "-Xlog:class+load=info"),
                "run", "--config", config().toString(), "--exit-when-ready");
        assertThat(second.exit()).as(second.stderr()).isZero();
        Result third = zeroscale(Map.of("ZEROSCALE_AOT_DIR", aot.toString(), "ZEROSCALE_OPTS", "-Xlog:class+load=info"),
                "run", "--config", config().toString(), "--exit-when-ready");
        assertThat(third.exit()).as(third.stderr()).isZero();
        assertThat(third.stderr()).doesNotContain("making the ahead-of-time cache");
        assertThat(third.stdout()).containsPattern("io\\.zeroscale\\.daemon\\.Daemon source: shared objects file");
        assertThat(Files.getLastModifiedTime(aot.resolve("zeroscale.aot")).toMillis()).isGreaterThanOrEqualTo(made);
    }

    @Test
    void aCorruptCacheWhoseStampMatchesStillStarts() throws Exception {
        requireJava25();
        Path aot = work.resolve("aot");
        Result made = zeroscale(Map.of("ZEROSCALE_AOT_DIR", aot.toString()), "aot-cache");
        assertThat(made.exit()).as(made.toString()).isZero();
        Files.write(aot.resolve("zeroscale.aot"), new byte[] {1, 2, 3, 4});

        Result start = zeroscale(Map.of("ZEROSCALE_AOT_DIR", aot.toString()), "run", "--config", config().toString(), "--exit-when-ready");
        assertThat(start.exit()).as(start.toString()).isZero();
        assertThat(start.stderr()).contains("zeroscale is ready").doesNotContain("making the ahead-of-time cache");
    }

    @Test
    void anUnwritableCacheDirectoryStartsWithoutTheCacheAndSaysSo() throws Exception {
        requireJava25();
        Path file = Files.writeString(work.resolve("not-a-directory"), "x");
        Result start = zeroscale(Map.of("ZEROSCALE_AOT_DIR", file.resolve("aot").toString(), "ZEROSCALE_AOT", "auto"), "run", "--config", config().toString(),
                "--exit-when-ready");
        assertThat(start.exit()).as(start.toString()).isZero();
        assertThat(start.stderr()).contains("is not writable: starting without the ahead-of-time cache")
                .contains("zeroscale is ready");
    }

    @Test
    void byDefaultRunNeverMakesACacheSoAFirstStartIsNotSlowed() throws Exception {
        Path aot = work.resolve("aot");
        Result start = zeroscale(Map.of("ZEROSCALE_AOT_DIR", aot.toString()), "run", "--config", config().toString(), "--exit-when-ready");
        assertThat(start.exit()).as(start.toString()).isZero();
        assertThat(start.stderr()).doesNotContain("making the ahead-of-time cache");
        assertThat(aot).doesNotExist();
    }

    @Test
    void offStartsWithoutMakingACache() throws Exception {
        Path aot = work.resolve("aot");
        Result start = zeroscale(Map.of("ZEROSCALE_AOT_DIR", aot.toString(), "ZEROSCALE_AOT", "off"), "run", "--config",
                config().toString(), "--exit-when-ready");
        assertThat(start.exit()).as(start.toString()).isZero();
        assertThat(aot).doesNotExist();
    }

    private static void requireJava25() {
        assertThat(Runtime.version().feature())
                .as("these cases need the launcher to pick Java 25+ (as it does here: the newest under /usr/lib/jvm); install Temurin 25")
                .isGreaterThanOrEqualTo(25);
    }

    private Path config() throws Exception {
        Path config = work.resolve("zeroscale.yaml");
        if (!Files.exists(config)) {
            Files.writeString(config, """
                    data-dir: %s/data
                    orchestrators: { local: { type: process } }
                    gateway: { listen: 127.0.0.1:0 }
                    api: { listen: 127.0.0.1:0 }
                    targets:
                      web:
                        orchestrator: local
                        workload: { kind: Process, command: [/bin/true, '{port}'] }
                        route: { path: / }
                        policy: { automaton: zero-to-n, idle: 5m, replicas: { min: 0, max: 1 } }
                    """.formatted(work), UTF_8);
        }
        return config;
    }

    record Result(int exit, String stdout, String stderr) {}

    private Result zeroscale(Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Distribution.home().resolve("bin/zeroscale").toString()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(work, "zeroscale", ".out");
        Path err = Files.createTempFile(work, "zeroscale", ".err");
        ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        Map<String, String> environment = builder.environment();
        environment.remove("ZEROSCALE_OPTS");
        environment.putAll(new HashMap<>(env));
        Process process = builder.start();
        if (!process.waitFor(5, TimeUnit.MINUTES)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            fail(String.join(" ", command) + " did not finish within 5 minutes:\n" + Files.readString(err, UTF_8));
        }
        return new Result(process.exitValue(), Files.readString(out, UTF_8), Files.readString(err, UTF_8));
    }
}
