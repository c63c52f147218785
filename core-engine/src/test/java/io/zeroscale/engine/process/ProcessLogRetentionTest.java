package io.zeroscale.engine.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Workload;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The process orchestrator keeps the replica logs under its data directory bounded. */
class ProcessLogRetentionTest {
    private static final int WAKES = 200;
    private static final TargetRef WEB = TargetRef.of("local", "Process", "web");
    private static final TargetRef OTHER = TargetRef.of("local", "Process", "web.1");

    @TempDir
    Path dataDirectory;

    @Test
    void twoHundredWakesLeaveTheLiveLogAndTheNewestStoppedOnes() throws IOException {
        ProcessStateStore store = new ProcessStateStore(dataDirectory);
        Files.writeString(store.logFile(OTHER, 7000), "another target's log\n");
        store.write(WEB, List.of());
        long base = 1_767_225_600_000L;

        // Each wake starts one replica on another port (as a free-port choice does) and stops it later.
        for (int wake = 0; wake < WAKES; wake++) {
            int port = 20_000 + wake;
            store.pruneLogs(WEB, Set.of(port));
            Path log = store.logFile(WEB, port);
            Files.writeString(log, "replica on " + port + "\n");
            Files.setLastModifiedTime(log, FileTime.fromMillis(base + wake * 1000L));
        }
        int live = 20_000 + WAKES;
        store.pruneLogs(WEB, Set.of(live));
        Files.writeString(store.logFile(WEB, live), "the current replica\n");

        assertThat(logsOf(WEB)).as("logs after " + WAKES + " wakes and the current one")
                .hasSize(ProcessStateStore.KEPT_STOPPED_LOGS + 1)
                .contains(store.logFile(WEB, live), store.logFile(WEB, live - 1),
                        store.logFile(WEB, live - ProcessStateStore.KEPT_STOPPED_LOGS));
        assertThat(Files.readString(store.logFile(WEB, live))).isEqualTo("the current replica\n");
        assertThat(store.logFile(OTHER, 7000)).as("another target's log, whose name starts alike").exists();
        assertThat(store.stateFile(WEB)).exists();
    }

    @Test
    void aLiveReplicasLogIsKeptHoweverOld() throws IOException {
        ProcessStateStore store = new ProcessStateStore(dataDirectory);
        long base = 1_767_225_600_000L;
        for (int port = 1; port <= ProcessStateStore.KEPT_STOPPED_LOGS + 3; port++) {
            Path log = store.logFile(WEB, port);
            Files.writeString(log, "x\n");
            Files.setLastModifiedTime(log, FileTime.fromMillis(base + port * 1000L));
        }

        List<Path> deleted = store.pruneLogs(WEB, Set.of(1));

        assertThat(store.logFile(WEB, 1)).as("the oldest log, whose replica still runs").exists();
        assertThat(deleted).containsExactlyInAnyOrder(store.logFile(WEB, 2), store.logFile(WEB, 3));
    }

    @Test
    void realWakesOfAProcessTargetLeaveABoundedNumberOfLogs() throws IOException {
        int wakes = ProcessStateStore.KEPT_STOPPED_LOGS + 4;
        try (ProcessFixture fixture = new ProcessFixture(dataDirectory)) {
            ProcessOrchestrator orchestrator = fixture.newOrchestrator();
            Map<String, Object> settings = new LinkedHashMap<>();
            settings.put("command", List.of("sleep", "600"));
            settings.put("readiness", Map.of("tcp", true, "interval", "50ms"));
            settings.put("stop-grace", "5s");
            Workload workload = ProcessFixture.workload("web", settings);
            orchestrator.attach(workload);
            for (int wake = 0; wake < wakes; wake++) {
                orchestrator.scale(WEB, 1);
                orchestrator.scale(WEB, 0);
                await().atMost(Duration.ofSeconds(30)).until(() -> orchestrator.observe(WEB).replicas() == 0);
            }
        }

        assertThat(logsOf(WEB).size()).as("logs after " + wakes + " wakes")
                .isLessThanOrEqualTo(ProcessStateStore.KEPT_STOPPED_LOGS + 1);
    }

    private List<Path> logsOf(TargetRef target) throws IOException {
        String prefix = new ProcessStateStore(dataDirectory).logFile(target, 0).getFileName().toString().replace(".0.log", ".");
        try (Stream<Path> files = Files.list(dataDirectory)) {
            return files.filter(f -> f.getFileName().toString().startsWith(prefix)
                            && f.getFileName().toString().substring(prefix.length()).matches("\\d+\\.log"))
                    .toList();
        }
    }
}
