package io.zeroscale.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.zeroscale.daemon.it.TestDaemon;
import io.zeroscale.daemon.it.WithDaemon;
import io.zeroscale.daemon.testplugin.RecordingHubPlugin;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The traffic-hub SPI through the daemon: a plugin dropped into plugins/ supplies the hub (config
 * {@code traffic.hub.type}), the daemon's gateway reports to it instead of to the engine, and the
 * engine sees the traffic through it: the held request reaches the hub, the hub passes it on, the
 * engine wakes the target and counts what the hub passed on. The plugin writes every call it gets
 * to a file, since it lives in a class loader of its own.
 */
class TrafficHubPluginIT extends WithDaemon {
    @TempDir
    Path plugins;

    @Test
    void aPluginSuppliedHubGetsTheGatewaysReportsAndTheEngineSeesTheTrafficThroughIt() throws Exception {
        PluginJars.write(Files.createDirectories(plugins.resolve("recording-hub")).resolve("recording-hub.jar"),
                RecordingHubPlugin.class);
        Path log = work.resolve("hub.log");
        Path backend = Path.of("src/test/resources/soak/backlog5.py").toAbsolutePath();
        String yaml = TestDaemon.processTarget("hello", "python3, \"" + backend + "\"", "", "idle: 1m, replicas: { min: 0, max: 1 }")
                + "traffic: { hub: { type: recording, log: \"" + log + "\" } }\n";
        start(yaml, Map.of(), Plugins.load(plugins));
        assertThat(api.target("hello").path("state").asText()).isEqualTo("ZERO");
        // The gateway took its routes through the hub, which has them from the engine.
        assertThat(Files.readAllLines(log)).containsSubsequence("created", "subscribe");

        HttpResponse<String> first = send("/", Duration.ofMinutes(1));
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.body()).isEqualTo("ok\n");

        // The held request reached the hub: the gateway reported to it, not to the engine.
        List<String> calls = Files.readAllLines(log);
        assertThat(calls).anyMatch(line -> line.matches("report \\S+ hello held=1 inFlight=0 arrivals=1"));
        // The engine woke the target for it and counts what the hub passed on.
        assertThat(api.journalMessages("hello")).anyMatch(message -> message.contains("waking: 1 request(s) held"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(api.target("hello").path("requests").path("completed").asLong()).isEqualTo(1);
            assertThat(Files.readAllLines(log)).anyMatch(line -> line.matches("report \\S+ hello held=0 inFlight=0 arrivals=1"));
        });
        assertThat(api.target("hello").path("requests").path("arrivals").asLong()).isEqualTo(1);

        daemon.stop();
        assertThat(Files.readAllLines(log)).as("the gateway's departure goes through the hub too").anyMatch(line -> line.startsWith("left "));
    }
}
