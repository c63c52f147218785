package io.zeroscale.plugin.prometheus;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The integration tests fail, never skip, without Prometheus, and say how to install it. */
class PrometheusServerTest {
    @Test
    void aMissingBinaryFailsWithTheInstallCommand() {
        assertThatThrownBy(() -> PrometheusServer.binary("zeroscale-no-such-prometheus"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("'zeroscale-no-such-prometheus' is not on PATH")
                .hasMessageContaining("install it with: apt-get install -y prometheus");
    }
}
