package io.zeroscale.plugin.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkloadEventsTest {
    @Test
    void aStateBecomesACamelCaseReason() {
        assertThat(WorkloadEvents.camel("WAKING")).isEqualTo("Waking");
        assertThat(WorkloadEvents.camel("DRAINING")).isEqualTo("Draining");
        assertThat(WorkloadEvents.camel("SCALED_UP")).isEqualTo("ScaledUp");
        assertThat(WorkloadEvents.camel("warm-pool")).isEqualTo("WarmPool");
        assertThat(WorkloadEvents.camel("__")).isEqualTo("StateChanged");
    }

    @Test
    void onlyJournalKindsAnOperatorActsOnBecomeEvents() {
        assertThat(WorkloadEvents.journalled("START_FAILURES")).containsExactly("StartFailed", "Start");
        assertThat(WorkloadEvents.journalled("OPERATOR")).containsExactly("OperatorAction", "Override");
        assertThat(WorkloadEvents.journalled("DECISION")).as("steps of target tracking").isNull();
        assertThat(WorkloadEvents.journalled("CONFIG")).isNull();
        assertThat(WorkloadEvents.journalled("SOMETHING_NEW")).isNull();
    }

    @Test
    void theReportingInstanceIsThePodsName() {
        assertThat(WorkloadEvents.instanceName(Map.of("POD_NAME", "zs-0", "HOSTNAME", "h"))).isEqualTo("zs-0");
        assertThat(WorkloadEvents.instanceName(Map.of("HOSTNAME", "h"))).isEqualTo("h");
        assertThat(WorkloadEvents.instanceName(Map.of("POD_NAME", "x".repeat(200)))).hasSize(128);
    }
}
