package io.zeroscale.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GatewayConfigTest {

    private static Config gateway(Map<String, ?> values) {
        return Config.of("gateway", values);
    }

    @Test
    void anEmptySectionGivesTheDefaults() {
        GatewayConfig config = GatewayConfig.fromConfig(Config.empty("gateway"));

        assertThat(config).isEqualTo(GatewayConfig.defaults());
        assertThat(config.listen().getHostString()).isEqualTo("127.0.0.1");
        assertThat(config.listen().getPort()).isEqualTo(8080);
        assertThat(config.maxHeld()).isEqualTo(1000);
        assertThat(config.wakeTimeout()).as("the zero-to-n automaton's default").isEqualTo(Duration.ofMinutes(3));
        assertThat(config.drainTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.maxHeaderSize()).isEqualTo(8 * 1024);
        assertThat(config.maxBodySize()).isEqualTo(10L * 1024 * 1024);
        assertThat(config.connectTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(config.responseTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(config.loadBalancing()).isEqualTo(LoadBalancing.LEAST_INFLIGHT);
        assertThat(config.retryAfter()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.waitingPage()).isFalse();
    }

    @Test
    void readsEveryKey() {
        GatewayConfig config = GatewayConfig.fromConfig(gateway(Map.ofEntries(
                Map.entry("listen", "0.0.0.0:9090"),
                Map.entry("max-held", 50),
                Map.entry("drain-timeout", "1m30s"),
                Map.entry("max-header-size", "16KiB"),
                Map.entry("max-body-size", "1GiB"),
                Map.entry("connect-timeout", "500ms"),
                Map.entry("response-timeout", "0s"),
                Map.entry("load-balancing", "round-robin"),
                Map.entry("retry-after", "5s"),
                Map.entry("waiting-page", true))));

        assertThat(config.listen().getHostString()).isEqualTo("0.0.0.0");
        assertThat(config.listen().getPort()).isEqualTo(9090);
        assertThat(config.maxHeld()).isEqualTo(50);
        assertThat(config.drainTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(config.maxHeaderSize()).isEqualTo(16 * 1024);
        assertThat(config.maxBodySize()).isEqualTo(1024L * 1024 * 1024);
        assertThat(config.connectTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(config.responseTimeout()).isZero();
        assertThat(config.loadBalancing()).isEqualTo(LoadBalancing.ROUND_ROBIN);
        assertThat(config.retryAfter()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.waitingPage()).isTrue();
    }

    @Test
    void aTargetSectionOverridesOnlyWhatItNames() {
        GatewayConfig base = GatewayConfig.builder().maxHeld(10).waitingPage(true).build();

        GatewayConfig target = GatewayConfig.fromConfig(
                Config.of("targets.embedder.gateway", Map.of("drain-timeout", "10m")), base);

        assertThat(target.drainTimeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(target.maxHeld()).isEqualTo(10);
        assertThat(target.waitingPage()).isTrue();
    }

    @Test
    void theIdIsReadAndABlankOneIsRefusedNamingTheKey() {
        assertThat(GatewayConfig.fromConfig(Config.empty("gateway")).id()).isNull();
        assertThat(GatewayConfig.fromConfig(gateway(Map.of("id", "edge-a"))).id()).isEqualTo("edge-a");
        assertThatThrownBy(() -> GatewayConfig.fromConfig(gateway(Map.of("id", " edge"))))
                .isInstanceOf(ZeroscaleException.class)
                .hasMessageContaining("gateway.id")
                .hasMessageContaining("e.g. id: gateway-a");
    }

    @Test
    void theOldWakeTimeoutKeyIsRefusedNamingThePolicyKey() {
        assertThatThrownBy(() -> GatewayConfig.fromConfig(gateway(Map.of("wake-timeout", "2m"))))
                .isInstanceOf(ZeroscaleException.class)
                .hasMessage("gateway.wake-timeout: is not a gateway setting any more; set the target's"
                        + " policy.wake-timeout (targets.<name>.policy.wake-timeout), which the gateway and the"
                        + " automaton both read, and remove this key");
    }

    @Test
    void anUnknownKeyIsRejectedWithItsPathAndASuggestion() {
        assertThatThrownBy(() -> GatewayConfig.fromConfig(gateway(Map.of("max-hold", 5))))
                .isInstanceOf(ZeroscaleException.class)
                .hasMessage("gateway.max-hold: unknown key; did you mean 'max-held'?")
                .satisfies(e -> assertThat(((ZeroscaleException) e).errorCode()).isEqualTo(StandardErrorCode.CONFIG_INVALID));
    }

    @Test
    void badValuesNameTheKeyAndTheFix() {
        assertThatThrownBy(() -> GatewayConfig.fromConfig(gateway(Map.of("listen", "8080"))))
                .hasMessageStartingWith("gateway.listen: '8080' is not host:port; write host:port");
        assertThatThrownBy(() -> GatewayConfig.fromConfig(gateway(Map.of("max-held", 0))))
                .hasMessageStartingWith("gateway.max-held: must be a whole number of at least 1");
        assertThatThrownBy(() -> GatewayConfig.fromConfig(gateway(Map.of("max-body-size", "10 parsecs"))))
                .hasMessageStartingWith("gateway.max-body-size: '10 parsecs' is not a size");
        assertThatThrownBy(() -> GatewayConfig.fromConfig(gateway(Map.of("max-header-size", "100"))))
                .hasMessage("gateway.max-header-size: must be between 256B and 1MiB, got 100");
        assertThatThrownBy(() -> GatewayConfig.fromConfig(gateway(Map.of("load-balancing", "round-robbin"))))
                .hasMessage("gateway.load-balancing: unknown value 'round-robbin'; did you mean 'round-robin'?");
        assertThatThrownBy(() -> GatewayConfig.fromConfig(gateway(Map.of("retry-after", "500ms"))))
                .hasMessageStartingWith("gateway.retry-after: must be a whole number of seconds");
        assertThatThrownBy(() -> GatewayConfig.fromConfig(gateway(Map.of("waiting-page", "yes"))))
                .hasMessageStartingWith("gateway.waiting-page: expected true or false");
    }

    @Test
    void theRecordRejectsValuesThatCannotWork() {
        assertThatThrownBy(() -> GatewayConfig.builder().maxHeld(0).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GatewayConfig.builder().drainTimeout(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GatewayConfig.builder().responseTimeout(Duration.ofSeconds(-1)).build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aTlsSectionIsReadWithDefaultsForWhatItLeavesOut() {
        GatewayConfig config = GatewayConfig.fromConfig(gateway(Map.of("tls", Map.of(
                "certificate", "/etc/zeroscale/tls.crt", "key", "/etc/zeroscale/tls.key"))));

        TlsConfig tls = config.tls();
        assertThat(tls).isNotNull();
        assertThat(tls.certificate()).isEqualTo(java.nio.file.Path.of("/etc/zeroscale/tls.crt"));
        assertThat(tls.key()).isEqualTo(java.nio.file.Path.of("/etc/zeroscale/tls.key"));
        assertThat(tls.handshakeTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(tls.reloadCheck()).isEqualTo(Duration.ofSeconds(10));
        assertThat(tls.protocols()).containsExactly("TLSv1.3", "TLSv1.2");
        assertThat(GatewayConfig.defaults().tls()).as("cleartext by default").isNull();

        TlsConfig tuned = GatewayConfig.fromConfig(gateway(Map.of("tls", Map.of("certificate", "c.pem", "key",
                "k.pem", "handshake-timeout", "3s", "reload-check", "1m", "protocols", java.util.List.of("TLSv1.3")))))
                .tls();
        assertThat(tuned).isNotNull();
        assertThat(tuned.handshakeTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(tuned.reloadCheck()).isEqualTo(Duration.ofMinutes(1));
        assertThat(tuned.protocols()).containsExactly("TLSv1.3");
    }

    @Test
    void anHttp2SectionAndTheBackendProtocolAreRead() {
        GatewayConfig defaults = GatewayConfig.defaults();
        assertThat(defaults.http2()).isEqualTo(Http2Config.defaults());
        assertThat(defaults.http2().enabled()).isTrue();
        assertThat(defaults.http2().maxConcurrentStreams()).isEqualTo(100);
        assertThat(defaults.http2().maxHeaderListSize()).isEqualTo(16 * 1024);
        assertThat(defaults.http2().streamWindow()).isEqualTo(64 * 1024);
        assertThat(defaults.http2().connectionWindow()).isEqualTo(1024 * 1024);
        assertThat(defaults.http2().maxResets()).isEqualTo(200);
        assertThat(defaults.http2().floodWindow()).isEqualTo(Duration.ofSeconds(30));
        assertThat(defaults.backendProtocol()).isEqualTo(BackendProtocol.AUTO);

        GatewayConfig config = GatewayConfig.fromConfig(gateway(Map.of("backend-protocol", "h2c", "http2", Map.of(
                "cleartext", false, "max-concurrent-streams", 10, "max-header-list-size", "32KiB",
                "stream-window", "1MiB", "connection-window", "8MiB", "max-resets", 50, "max-control-frames", 20,
                "flood-window", "10s", "max-queued-control-frames", 100, "max-continuation-frames", 4))));
        Http2Config http2 = config.http2();
        assertThat(config.backendProtocol()).isEqualTo(BackendProtocol.H2C);
        assertThat(http2.cleartext()).isFalse();
        assertThat(http2.maxConcurrentStreams()).isEqualTo(10);
        assertThat(http2.maxHeaderListSize()).isEqualTo(32 * 1024);
        assertThat(http2.streamWindow()).isEqualTo(1024 * 1024);
        assertThat(http2.connectionWindow()).isEqualTo(8 * 1024 * 1024);
        assertThat(http2.maxResets()).isEqualTo(50);
        assertThat(http2.maxControlFrames()).isEqualTo(20);
        assertThat(http2.floodWindow()).isEqualTo(Duration.ofSeconds(10));
        assertThat(http2.maxQueuedControlFrames()).isEqualTo(100);
        assertThat(http2.maxContinuationFrames()).isEqualTo(4);

        assertThatThrownBy(() -> GatewayConfig.fromConfig(gateway(Map.of("backend-protocol", "grpc"))))
                .hasMessage("gateway.backend-protocol: unknown value 'grpc'; valid values are auto, http1, h2c");
        assertThatThrownBy(() -> GatewayConfig.fromConfig(gateway(Map.of("http2", Map.of("max-resets", 0)))))
                .hasMessageStartingWith("gateway.http2.max-resets: must be a whole number of at least 1");
        assertThatThrownBy(() -> GatewayConfig.fromConfig(gateway(Map.of("http2", Map.of("stream-window", "3GiB")))))
                .hasMessageStartingWith("gateway.http2.stream-window: must be between");
        assertThatThrownBy(() -> GatewayConfig.fromConfig(gateway(Map.of("http2", Map.of("max-streams", 5)))))
                .hasMessageStartingWith("gateway.http2.max-streams: unknown key");
    }

    @Test
    void aTlsSectionNamesWhatIsMissingOrWrong() {
        assertThatThrownBy(() -> GatewayConfig.fromConfig(gateway(Map.of("tls", Map.of("certificate", "c.pem")))))
                .hasMessageStartingWith("gateway.tls: needs both 'certificate' and 'key'");
        assertThatThrownBy(() -> GatewayConfig.fromConfig(gateway(Map.of("tls", Map.of("certificate", "c.pem",
                "key", "k.pem", "protocols", java.util.List.of("TLSv1.1"))))))
                .hasMessageStartingWith("gateway.tls.protocols: protocol 'TLSv1.1' is not offered");
        assertThatThrownBy(() -> GatewayConfig.fromConfig(gateway(Map.of("tls", Map.of("certificate", "c.pem",
                "key", "k.pem", "handshake-timeout", "0s")))))
                .hasMessage("gateway.tls.handshake-timeout: must be longer than 0s");
        assertThatThrownBy(() -> GatewayConfig.fromConfig(gateway(Map.of("tls", Map.of("certificate", "c.pem",
                "key", "k.pem", "reload-check", "100ms")))))
                .hasMessageStartingWith("gateway.tls.reload-check: must be at least 1s");
        assertThatThrownBy(() -> GatewayConfig.fromConfig(gateway(Map.of("tls", Map.of("cert", "c.pem")))))
                .hasMessageStartingWith("gateway.tls.cert: unknown key");
    }
}
