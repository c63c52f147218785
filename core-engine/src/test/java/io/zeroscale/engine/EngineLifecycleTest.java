package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.zeroscale.engine.time.SystemScheduler;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.testkit.FakeOrchestrator;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Real threads: what the engine does around start and close. */
class EngineLifecycleTest {
    @Test
    void afterCloseTheGatewaysReportsAreIgnoredAndNothingIsScaled() {
        try (SystemScheduler scheduler = new SystemScheduler()) {
            FakeOrchestrator orchestrator = new FakeOrchestrator(scheduler, Duration.ofMillis(10));
            TargetSpec spec = TargetSpec.fromConfig("app", YamlConfig.parse("orchestrator: fake\nworkload: { kind: Process }\n", "t", "targets.app"));
            Zeroscale zeroscale = Zeroscale.builder().scheduler(scheduler).orchestrator("fake", orchestrator).target(spec).build().start();
            zeroscale.close();

            // A gateway still draining after the engine stopped keeps reporting; that must not fail it.
            assertThatCode(() -> {
                zeroscale.trafficHub().report("gw", spec.ref(), new RequestStats(3, 1, 4, 0, 0));
                zeroscale.trafficHub().drained("gw", spec.ref(), List.of(new Endpoint("10.0.0.1", 8080)));
                zeroscale.trafficHub().endpointRefused("gw", spec.ref(), new Endpoint("10.0.0.1", 8080), "refused");
            }).doesNotThrowAnyException();
            assertThat(orchestrator.scaleCalls()).isEmpty();
            assertThat(orchestrator.closed()).isTrue();
        }
    }
}
