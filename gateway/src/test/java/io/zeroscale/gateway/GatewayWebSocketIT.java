package io.zeroscale.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.Routing;
import java.net.URI;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** WebSocket upgrades pass through and keep their target in flight until closed. */
class GatewayWebSocketIT extends GatewayTestSupport {

    /** Collects text messages and the close. */
    private static final class Collector implements WebSocket.Listener {
        final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
        final StringBuilder partial = new StringBuilder();
        volatile boolean closed;

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                messages.add(partial.toString());
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed = true;
            return null;
        }
    }

    @Test
    void aWebSocketEchoWorksThroughTheGatewayAndCountsInFlightUntilClosed() throws Exception {
        WebSocketEchoBackend backend = closeLater(new WebSocketEchoBackend());
        hub.forward(APP, backend.endpoint());
        Gateway gateway = startDefault();
        Collector collector = new Collector();

        WebSocket socket = http.newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + gateway.port() + "/ws"), collector)
                .get(20, TimeUnit.SECONDS);
        socket.sendText("hello", true).get(10, TimeUnit.SECONDS);
        assertThat(collector.messages.poll(20, TimeUnit.SECONDS)).isEqualTo("echo: hello");
        String large = "x".repeat(100_000);
        socket.sendText(large, true).get(10, TimeUnit.SECONDS);
        String echoed = collector.messages.poll(20, TimeUnit.SECONDS);
        // Compared by value, not printed: a 100k-character failure message helps nobody.
        assertThat(echoed != null && echoed.equals("echo: " + large)).as("the large frame came back whole, got %s characters", echoed == null ? "no" : String.valueOf(echoed.length())).isTrue();

        assertThat(gateway.stats(APP).inFlight()).isEqualTo(1);
        hub.publish(APP, new Route(Routing.DRAIN, List.of(), List.of(backend.endpoint())));
        assertThat(hub.drained()).as("an open WebSocket blocks the drain").isEmpty();

        socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);

        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.stats(APP).inFlight() == 0);
        await().atMost(Duration.ofSeconds(10)).until(() -> !hub.drained().isEmpty());
        assertThat(hub.latest(APP).inFlight()).isZero();
    }

    @Test
    void aWebSocketOpenedWhileTheTargetIsAtZeroIsHeldAndUpgradedAfterTheWake() throws Exception {
        hub.onWake(APP, () -> closeLater(new WebSocketEchoBackend()).endpoint());
        Gateway gateway = startDefault();
        Collector collector = new Collector();

        WebSocket socket = http.newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + gateway.port() + "/ws"), collector)
                .get(30, TimeUnit.SECONDS);
        socket.sendText("after wake", true).get(10, TimeUnit.SECONDS);

        assertThat(collector.messages.poll(20, TimeUnit.SECONDS)).isEqualTo("echo: after wake");
        assertThat(hub.reports(APP)).anyMatch(stats -> stats.held() == 1);
        socket.abort();
        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.stats(APP).inFlight() == 0);
    }
}
