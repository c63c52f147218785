package io.zeroscale.plugin.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.Routing;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HubSettingsTest {
    private static HubSettings parse(Map<String, Object> values, Map<String, String> env) {
        return HubSettings.parse(Config.of("traffic.hub", new HashMap<>(values)), env, client -> "from-kubeconfig");
    }

    @Test
    void defaultsMatchTheLeadershipsAndTheServiceAccount() {
        HubSettings parsed = parse(Map.of(), Map.of("POD_NAME", "zeroscale-7d9f-abcde"));

        assertThat(parsed.lease()).isEqualTo("zeroscale");
        assertThat(parsed.identity()).isEqualTo("zeroscale-7d9f-abcde");
        assertThat(parsed.namespace()).isEqualTo("from-kubeconfig");
        assertThat(parsed.listen()).isEqualTo(new Endpoint("0.0.0.0", 7946));
        assertThat(parsed.tokenFile()).isEqualTo(Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token"));
        assertThat(parsed.allows("system:serviceaccount:from-kubeconfig:zeroscale")).isTrue();
        assertThat(parsed.allows("system:serviceaccount:other:zeroscale")).as("another namespace's").isFalse();
        assertThat(parsed.allows("admin")).isFalse();
    }

    @Test
    void callersNarrowWhoMayReport() {
        HubSettings parsed = parse(Map.of("namespace", "ops", "callers", List.of("system:serviceaccount:ops:zeroscale")), Map.of());

        assertThat(parsed.allows("system:serviceaccount:ops:zeroscale")).isTrue();
        assertThat(parsed.allows("system:serviceaccount:ops:other")).isFalse();
    }

    @Test
    void refusesWhatCannotWorkNamingTheKey() {
        assertThatThrownBy(() -> parse(Map.of("listen", "7946"), Map.of())).isInstanceOf(ZeroscaleException.class)
                .hasMessageContaining("traffic.hub.listen").hasMessageContaining("host:port");
        assertThatThrownBy(() -> parse(Map.of("callers", List.of("zeroscale")), Map.of()))
                .hasMessageContaining("traffic.hub.callers").hasMessageContaining("system:serviceaccount:");
        assertThatThrownBy(() -> parse(Map.of("lease", "Zero_Scale"), Map.of())).hasMessageContaining("traffic.hub.lease");
        assertThatThrownBy(() -> parse(Map.of("identity", " "), Map.of())).hasMessageContaining("traffic.hub.identity");
        assertThatThrownBy(() -> parse(Map.of("listn", "x"), Map.of())).hasMessageContaining("listn");
    }

    @Test
    void theLeadersAddressComesFromItsIdentityOrItsPod() {
        assertThat(HubSettings.addressIn("a@127.0.0.1:7000")).isEqualTo(new Endpoint("127.0.0.1", 7000));
        assertThat(HubSettings.addressIn("zeroscale-7d9f-abcde")).as("a pod's name: resolved through its pod").isNull();
    }

    @Test
    void messagesSurviveTheWire() throws Exception {
        TargetRef target = new TargetRef("k8s", "Deployment", "shop", "web");
        Route route = new Route(Routing.DRAIN, List.of(new Endpoint("10.0.0.2", 8080)), List.of(new Endpoint("10.0.0.1", 8080)),
                new Route.Refusal("web: gave up", Instant.parse("2026-01-01T00:00:00Z")), 7);
        var line = HubWire.JSON.readTree(HubWire.route(target, route).toString());

        assertThat(HubWire.target(line.path("target"))).isEqualTo(target);
        assertThat(HubWire.route(line)).isEqualTo(route);
        assertThat(HubWire.target(HubWire.target(new TargetRef("k8s", "Deployment", null, "web")))).extracting(TargetRef::namespace)
                .isNull();
        RequestStats stats = new RequestStats(2, 1, 10, 7, 0.5, 1);
        assertThat(HubWire.stats(HubWire.JSON.readTree(HubWire.stats(stats).toString()))).isEqualTo(stats);
    }
}
