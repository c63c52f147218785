package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.spi.Leadership;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.orchestrator.Drainable;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.Endpoints;
import io.zeroscale.spi.orchestrator.GatewayBypass;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import io.zeroscale.spi.traffic.Routing;
import io.zeroscale.testkit.FakeOrchestrator;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * {@link GatewayBypass} through the whole engine: the client path follows the decisions, and a
 * drain starts only after the clients were sent back to the gateway.
 */
class GatewayBypassEngineTest {
    private static final String TARGET = """
            orchestrator: fake
            workload: { kind: Process }
            policy:
              automaton: zero-to-n
              idle: 5m
              drain-timeout: 30s
              replicas: { min: 0, max: 4 }
            """;

    @Test
    void clientsGoToTheReplicasWhileWarmAndBackToTheGatewayBeforeTheDrainStarts() {
        Bypassing[] orchestrator = new Bypassing[1];
        try (EngineHarness engine = new EngineHarness(EngineHarness.START, TARGET, Duration.ofSeconds(5), 0,
                Leadership.always(), UnaryOperator.identity(), fake -> orchestrator[0] = new Bypassing(fake, true))) {
            Bypassing bypass = orchestrator[0];
            bypass.engine = engine;
            assertThat(bypass.log).as("at zero the clients go to the gateway").containsExactly("gateway");

            engine.holdRequest();
            engine.advance(Duration.ofSeconds(5));
            engine.releaseHeld();
            engine.finishRequest();
            assertThat(engine.state()).isEqualTo("ACTIVE");
            assertThat(bypass.log).containsExactly("gateway", "scale 1", "direct");

            engine.advance(Duration.ofMinutes(5));

            assertThat(engine.state()).isEqualTo("DRAINING");
            assertThat(bypass.log).containsExactly("gateway", "scale 1", "direct", "gateway");
            assertThat(bypass.routeAtSwitch).as("the route when the clients were sent to the gateway: no drain yet")
                    .isEqualTo(Routing.FORWARD);
            assertThat(engine.route().routing()).isEqualTo(Routing.DRAIN);
            assertThat(engine.route().draining()).containsExactly(new Endpoint("10.0.0.1", 8080));

            engine.drained();

            assertThat(engine.state()).isEqualTo("ZERO");
            assertThat(bypass.log).containsExactly("gateway", "scale 1", "direct", "gateway", "scale 0");

            engine.holdRequest();
            engine.advance(Duration.ofSeconds(5));
            assertThat(engine.state()).as("the next request through the gateway wakes it").isEqualTo("ACTIVE");
            assertThat(bypass.log).containsExactly("gateway", "scale 1", "direct", "gateway", "scale 0", "scale 1", "direct");
        }
    }

    @Test
    void noDrainStartsWhileTheClientsCannotBeSentToTheGateway() {
        Bypassing[] orchestrator = new Bypassing[1];
        try (EngineHarness engine = new EngineHarness(EngineHarness.START, TARGET, Duration.ofSeconds(5), 1,
                Leadership.always(), UnaryOperator.identity(), fake -> orchestrator[0] = new Bypassing(fake, true))) {
            Bypassing bypass = orchestrator[0];
            bypass.engine = engine;
            assertThat(engine.state()).isEqualTo("ACTIVE");
            bypass.failing = true;

            engine.advance(Duration.ofMinutes(5));

            assertThat(engine.state()).isEqualTo("DRAINING");
            assertThat(engine.route().routing()).as("still forwarding: the drain waits for the switch")
                    .isEqualTo(Routing.FORWARD);
            assertThat(engine.journal()).anySatisfy(entry -> {
                assertThat(entry.kind()).isEqualTo(JournalEntry.Kind.ACTUATION_FAILED);
                assertThat(entry.message()).contains("through the gateway failed").contains("no drain starts");
            });

            bypass.failing = false;
            engine.holdRequest(); // a request arrives through the gateway: active again, clients to the replicas
            assertThat(engine.state()).isEqualTo("ACTIVE");
            assertThat(engine.route().routing()).isEqualTo(Routing.FORWARD);
            engine.advance(Duration.ofSeconds(2)); // past the failed write's retry delay
            assertThat(bypass.log).as("the clients sent to the replicas again").containsExactly("direct", "direct");
        }
    }

    @Test
    void aTargetThatDoesNotOptInIsNeverSwitched() {
        Bypassing[] orchestrator = new Bypassing[1];
        try (EngineHarness engine = new EngineHarness(EngineHarness.START, TARGET, Duration.ofSeconds(5), 1,
                Leadership.always(), UnaryOperator.identity(), fake -> orchestrator[0] = new Bypassing(fake, false))) {
            engine.advance(Duration.ofMinutes(5));

            assertThat(engine.state()).isEqualTo("DRAINING");
            assertThat(engine.route().routing()).isEqualTo(Routing.DRAIN);
            assertThat(orchestrator[0].log).isEmpty();
        }
    }

    /** The fake orchestrator with {@link GatewayBypass}, logging the switches and scales in order. */
    private static final class Bypassing implements Orchestrator, Endpoints, Drainable, GatewayBypass {
        final FakeOrchestrator fake;
        final boolean optedIn;
        final List<String> log = new CopyOnWriteArrayList<>();
        volatile @Nullable EngineHarness engine;
        volatile @Nullable Routing routeAtSwitch;
        volatile boolean failing;

        Bypassing(FakeOrchestrator fake, boolean optedIn) {
            this.fake = fake;
            this.optedIn = optedIn;
        }

        @Override
        public boolean bypassesGateway(TargetRef target) {
            return optedIn;
        }

        @Override
        public void sendDirect(TargetRef target) {
            switched("direct");
        }

        @Override
        public void sendThroughGateway(TargetRef target) {
            EngineHarness harness = engine;
            routeAtSwitch = harness == null ? null : harness.route().routing();
            switched("gateway");
        }

        private void switched(String path) {
            if (failing) {
                throw new ZeroscaleException(StandardErrorCode.ORCHESTRATOR_UNAVAILABLE, "backend down");
            }
            log.add(path);
        }

        @Override
        public ObservedState observe(TargetRef target) {
            return fake.observe(target);
        }

        @Override
        public void scale(TargetRef target, int replicas) {
            log.add("scale " + replicas);
            fake.scale(target, replicas);
        }

        @Override
        public void remove(TargetRef target, List<Endpoint> drained) {
            fake.remove(target, drained);
        }

        @Override
        public Subscription watch(TargetRef target, Consumer<WorkloadEvent> listener) {
            return fake.watch(target, listener);
        }

        @Override
        public void attach(io.zeroscale.spi.orchestrator.Workload workload) {
            fake.attach(workload);
        }

        @Override
        public void close() {
            fake.close();
        }
    }
}
