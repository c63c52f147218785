package io.zeroscale.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Collections;
import org.junit.jupiter.api.Test;

/**
 * What the engine needs to tell several gateways apart: every call carries the gateway's id, the
 * gateway heartbeats between reports (so an idle gateway is not mistaken for a silent one), and it
 * says when it leaves.
 */
class GatewayReportsIT extends GatewayTestSupport {

    @Test
    void reportsCarryTheIdHeartbeatsComeBetweenAndClosingLeaves() throws Exception {
        TestBackend backend = backend("one");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = start(Gateway.builder(hub).id("edge-a").heartbeat(Duration.ofMillis(100)), GatewayRoute.path(APP, "/"));
        assertThat(gateway.id()).isEqualTo("edge-a");

        assertThat(get(gateway, "/").statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> hub.latest(APP).completed() == 1);
        assertThat(hub.reporters()).containsExactly("edge-a");

        // Nothing changes, so nothing is reported; heartbeats say the last report still holds.
        int reports = hub.reports(APP).size();
        await().atMost(Duration.ofSeconds(10)).until(() -> Collections.frequency(hub.heartbeats(), "edge-a") >= 5);
        assertThat(hub.reports(APP)).hasSize(reports);
        assertThat(hub.left()).isEmpty();

        gateway.close();
        assertThat(hub.left()).containsExactly("edge-a");
        int beats = Collections.frequency(hub.heartbeats(), "edge-a");
        // A witness on the same interval: while it beats three times, the gateway that left would
        // have beaten too had its heartbeat outlived close().
        start(Gateway.builder(hub).id("edge-b").heartbeat(Duration.ofMillis(100)), GatewayRoute.path(APP, "/"));
        await().atMost(Duration.ofSeconds(10)).until(() -> Collections.frequency(hub.heartbeats(), "edge-b") >= 3);
        assertThat(Collections.frequency(hub.heartbeats(), "edge-a")).as("no heartbeat after leaving").isEqualTo(beats);
    }

    @Test
    void gatewaysOfOneProcessGetIdsOfTheirOwn() {
        Gateway first = startDefault();
        Gateway second = startDefault();
        assertThat(first.id()).isNotEqualTo(second.id()).contains("/" + ProcessHandle.current().pid() + "/");
    }

    @Test
    void theConfigsIdIsTheGatewaysIdUnlessTheBuilderSetsOne() {
        GatewayConfig config = GatewayConfig.fromConfig(io.zeroscale.spi.Config.of("gateway", java.util.Map.of(
                "listen", "127.0.0.1:0", "id", "edge-b")));
        Gateway configured = start(Gateway.builder(hub).config(config));
        assertThat(configured.id()).isEqualTo("edge-b");
        Gateway overridden = start(Gateway.builder(hub).config(config).id("edge-c"));
        assertThat(overridden.id()).isEqualTo("edge-c");
    }

    @Test
    void aBlankIdOrNoHeartbeatIsRefused() {
        assertThatThrownBy(() -> Gateway.builder(hub).id(" ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("id must not be blank");
        assertThatThrownBy(() -> Gateway.builder(hub).heartbeat(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("heartbeat must be positive");
    }
}
