package io.zeroscale.plugin.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.ZeroscaleException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LeadershipSettingsTest {
    private static LeadershipSettings parse(Map<String, Object> values, Map<String, String> env) {
        Map<String, Object> all = new HashMap<>(values);
        all.put("type", "kubernetes");
        return LeadershipSettings.parse(Config.of("leadership", all), env, client -> "from-kubeconfig");
    }

    @Test
    void defaultsAreClientGosDurationsTheLeaseZeroscaleAndThePodsName() {
        LeadershipSettings parsed = parse(Map.of(), Map.of("POD_NAME", "zeroscale-7d9f-abcde", "HOSTNAME", "host"));

        assertThat(parsed.lease()).isEqualTo("zeroscale");
        assertThat(parsed.identity()).isEqualTo("zeroscale-7d9f-abcde");
        assertThat(parsed.namespace()).isEqualTo("from-kubeconfig");
        assertThat(parsed.leaseDuration()).isEqualTo(Duration.ofSeconds(15));
        assertThat(parsed.renewDeadline()).isEqualTo(Duration.ofSeconds(10));
        assertThat(parsed.retryPeriod()).isEqualTo(Duration.ofSeconds(2));
        assertThat(parse(Map.of(), Map.of("HOSTNAME", "host")).identity()).as("outside a pod").isEqualTo("host");
    }

    @Test
    void readsEveryKey() {
        LeadershipSettings parsed = parse(Map.of("namespace", "ops", "lease", "zs-shop", "identity", "a",
                "lease-duration", "30s", "renew-deadline", "20s", "retry-period", "5s", "timeout", "3s"), Map.of());

        assertThat(parsed.namespace()).isEqualTo("ops");
        assertThat(parsed.lease()).isEqualTo("zs-shop");
        assertThat(parsed.identity()).isEqualTo("a");
        assertThat(parsed.leaseDuration()).isEqualTo(Duration.ofSeconds(30));
        assertThat(parsed.renewDeadline()).isEqualTo(Duration.ofSeconds(20));
        assertThat(parsed.retryPeriod()).isEqualTo(Duration.ofSeconds(5));
        assertThat(parsed.client().timeout()).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void refusesWhatCannotWorkNamingTheKey() {
        assertThatThrownBy(() -> parse(Map.of("lease-duration", "10s"), Map.of()))
                .isInstanceOf(ZeroscaleException.class)
                .hasMessageContaining("leadership.lease-duration").hasMessageContaining("must be longer than renew-deadline (10s)");
        assertThatThrownBy(() -> parse(Map.of("renew-deadline", "2s"), Map.of()))
                .hasMessageContaining("leadership.renew-deadline").hasMessageContaining("retry-period (2s)");
        assertThatThrownBy(() -> parse(Map.of("retry-period", "0s"), Map.of()))
                .hasMessageContaining("leadership.retry-period");
        assertThatThrownBy(() -> parse(Map.of("lease", "Zero_Scale"), Map.of()))
                .hasMessageContaining("leadership.lease").hasMessageContaining("not a Lease name");
        assertThatThrownBy(() -> parse(Map.of("identity", " "), Map.of()))
                .hasMessageContaining("leadership.identity");
        assertThatThrownBy(() -> parse(Map.of("lease-durations", "10s"), Map.of()))
                .hasMessageContaining("lease-durations");
    }
}
