package io.zeroscale.testkit;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The integration tests fail, never skip, without Prometheus, and say how to install it. */
class PrometheusPeerTest {
    @Test
    void aMissingBinaryFailsWithTheInstallCommand() {
        assertThatThrownBy(() -> PrometheusPeer.binary("zeroscale-no-such-prometheus"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("'zeroscale-no-such-prometheus' is not on PATH")
                .hasMessageContaining("install it with: apt-get install -y prometheus");
    }
}
