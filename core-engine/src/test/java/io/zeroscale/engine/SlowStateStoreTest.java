package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.zeroscale.engine.state.MemoryStateStore;
import io.zeroscale.engine.time.SystemScheduler;
import io.zeroscale.spi.state.StateStore;
import io.zeroscale.testkit.FakeOrchestrator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A state store that hangs on a write never stalls the target: writes run off the actor, and coalesce. */
class SlowStateStoreTest {
    @TempDir
    Path data;

    /** A store whose writes wait until the test lets them go. */
    private static final class HangingStore implements StateStore {
        final MemoryStateStore documents = new MemoryStateStore();
        final CountDownLatch writing = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final List<String> targetWrites = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public Optional<byte[]> read(String key) {
            return documents.read(key);
        }

        @Override
        public void write(String key, byte[] document) {
            if (key.startsWith("targets/")) {
                writing.countDown();
                try {
                    // Pacing the backend, not waiting for a result: this is the disk that hangs.
                    if (!release.await(60, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("never released");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            documents.write(key, document);
            if (key.startsWith("targets/")) {
                targetWrites.add(key);
            }
        }

        @Override
        public void delete(String key) {
            documents.delete(key);
        }

        @Override
        public List<String> keys(String prefix) {
            return documents.keys(prefix);
        }

        @Override
        public String setAside(String key, String reason) {
            return documents.setAside(key, reason);
        }

        @Override
        public String location(String key) {
            return documents.location(key);
        }
    }

    @Test
    void aHangingWriteDoesNotStallTheTargetAndOnlyTheNewestStateIsWritten() throws Exception {
        HangingStore store = new HangingStore();
        try (SystemScheduler clock = new SystemScheduler()) {
            FakeOrchestrator orchestrator = new FakeOrchestrator(clock, Duration.ofMillis(10));
            TargetSpec spec = TargetSpec.fromConfig("app", YamlConfig.parse("orchestrator: fake\nworkload: { kind: Process }\n", "t",
                    "targets.app"));
            try (Zeroscale zeroscale = Zeroscale.builder().dataDirectory(data).stateStore(store).orchestrator("fake", orchestrator)
                    .target(spec).build().start()) {
                Engine engine = zeroscale.engine();
                await().atMost(Duration.ofSeconds(30)).until(() -> engine.status("app").orElseThrow().started());

                engine.setOverride("app", 1, null, "alice");
                assertThat(store.writing.await(30, TimeUnit.SECONDS)).as("the write began").isTrue();
                // The disk hangs; the target goes on: it takes the next operator action and scales.
                engine.setAutomationPaused("app", true, "bob");
                engine.setOverride("app", 2, null, "alice");
                await().atMost(Duration.ofSeconds(30)).until(() -> engine.status("app").orElseThrow().automationPaused()
                        && Integer.valueOf(2).equals(engine.status("app").orElseThrow().overrideReplicas()));

                store.release.countDown();
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    Optional<byte[]> document = store.documents.read("targets/app.json");
                    assertThat(document).isPresent();
                    assertThat(SavedState.parseOperator(document.get())).as("the newest state, not each step")
                            .isEqualTo(new SavedState.Operator(true, 2, null));
                });
                assertThat(store.targetWrites).as("the hanging write, then one for the two changes made meanwhile").hasSize(2);
            }
        }
    }
}
