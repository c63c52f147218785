package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.engine.time.VirtualScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/** One reporter-TTL timer per gateway: it fires once the gateway is silent past the TTL; virtual time. */
class GatewayWatchTest {
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    private static final Duration TTL = Duration.ofSeconds(15);
    private final VirtualScheduler time = new VirtualScheduler(START);
    private final Map<String, Instant> heard = new ConcurrentHashMap<>();
    private final List<String> silent = new ArrayList<>();
    private final GatewayWatch watch = new GatewayWatch(time, TTL, heard::get, gateway -> silent.add(gateway + " at " + time.now()));

    private void hear(String gateway) {
        heard.put(gateway, time.now());
        watch.heard(gateway);
    }

    @Test
    void aGatewayHeardFromKeepsOneTimerThatFiresOnlyOnceItIsSilentPastTheTtl() {
        for (int i = 0; i < 4; i++) {
            hear("a"); // at 0, 5, 10 and 15 s
            assertThat(time.pending()).as("one timer, however often it is heard").isEqualTo(1);
            time.advance(Duration.ofSeconds(5));
        }
        assertThat(silent).isEmpty();
        time.advance(Duration.ofSeconds(10)); // 30 s: heard last at 15 s, exactly the TTL ago
        assertThat(silent).as("silent only past the TTL").isEmpty();
        time.advance(Duration.ofMillis(1));
        assertThat(silent).containsExactly("a at " + START.plusSeconds(30).plusNanos(1));
        assertThat(time.pending()).as("nothing to watch until it is heard again").isZero();

        hear("a");
        assertThat(watch.watching("a")).isTrue();
        time.advance(Duration.ofSeconds(16));
        assertThat(silent).hasSize(2);
    }

    @Test
    void aGatewayThatLeftIsNotWatchedAndCloseStopsEverything() {
        hear("a");
        hear("b");
        heard.remove("a");
        watch.left("a");
        assertThat(watch.watching("a")).isFalse();
        time.advance(Duration.ofMinutes(1));
        assertThat(silent).containsExactly("b at " + START.plusSeconds(15).plusNanos(1));

        hear("b");
        watch.close();
        hear("b");
        time.advance(Duration.ofMinutes(1));
        assertThat(silent).hasSize(1);
        assertThat(time.pending()).isZero();
    }
}
