package io.zeroscale.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.daemon.config.ConfigLoader;
import io.zeroscale.engine.Engine;
import io.zeroscale.engine.TargetStatus;
import io.zeroscale.gateway.Gateway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A target added by a reload is listed only once the gateway routes it, and a removed one is
 * routed no longer than it is listed: a reader that sees it in {@code GET /targets} can send it a
 * request at once. No workload is started (nothing is sent through the gateway).
 */
class TargetRegistryTest {
    @TempDir
    Path data;

    private String config(boolean fresh) {
        String target = """
                  %s:
                    orchestrator: local
                    workload: { kind: Process, command: [java, Backend.java] }
                    route: { path: /%s }
                    policy: { idle: 30s, replicas: { min: 0, max: 1 } }
                """;
        return """
                data-dir: %s
                orchestrators:
                  local: { type: process }
                gateway: { listen: 127.0.0.1:0 }
                api: { listen: 127.0.0.1:0 }
                targets:
                """.formatted(data.resolve("state")) + target.formatted("stay", "stay") + (fresh ? target.formatted("fresh", "fresh") : "");
    }

    @Test
    @SuppressWarnings("ReferenceEquality") // the same status instance: the same actor, nothing changed in between
    void aListedTargetIsAlwaysRoutedThroughReloads() throws Exception {
        Path file = data.resolve("zeroscale.yaml");
        Files.writeString(file, config(false));
        Daemon daemon = Daemon.create(ConfigLoader.fromEnvironment().load(file, Map.of()), Plugins.load(null))
                .reloadFrom(file, Map.of()).start();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger seenListed = new AtomicInteger();
        List<String> unrouted = new CopyOnWriteArrayList<>();
        try {
            Engine engine = daemon.zeroscale().engine();
            Gateway gateway = daemon.gateway();
            // Reads as a client of GET /targets would, as often as it can, while the reloads run.
            Thread reader = Thread.ofPlatform().name("targets-reader").start(() -> {
                while (!stop.get()) {
                    Optional<TargetStatus> fresh = engine.status("fresh");
                    if (fresh.isPresent()) {
                        seenListed.incrementAndGet();
                        // The very same status after the routes were read: neither removed nor added
                        // again in between (a removal takes both away, a new add lists a new status).
                        if (gateway.routes(fresh.get().ref()).isEmpty()
                                && engine.status("fresh").filter(again -> again == fresh.get()).isPresent()) {
                            unrouted.add("listed without a route (" + seenListed.get() + ")");
                        }
                    }
                }
            });
            for (int round = 0; round < 40; round++) {
                Files.writeString(file, config(true));
                daemon.reloadConfig("test round " + round);
                Files.writeString(file, config(false));
                daemon.reloadConfig("test round " + round);
            }
            stop.set(true);
            reader.join();
        } finally {
            stop.set(true);
            daemon.stop();
        }
        assertThat(seenListed).as("the reader saw the added target listed").hasPositiveValue();
        assertThat(unrouted).as("times the added target was listed but not routed").isEmpty();
    }
}
