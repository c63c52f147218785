package io.zeroscale.plugin.aws;

import static org.awaitility.Awaitility.await;

import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.testkit.AwsTestProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The set-up of the ITs that drive one orchestrator through the test proxy in front of moto: a
 * fresh proxy (its call counts start at zero), manual poll ticks, loopback stand-ins for the
 * instances' and tasks' addresses (the reachability seam), and every orchestrator made by
 * {@link #orchestrator()} closed after the test.
 *
 * @param <O> the orchestrator kind
 */
abstract class ThroughProxy<O extends Orchestrator> {
    protected AwsTestProxy proxy;
    protected ManualTicks ticks;
    protected final Moto.Backends backends = new Moto.Backends();
    private final List<O> orchestrators = new ArrayList<>();

    @BeforeEach
    void startProxy() {
        proxy = AwsTestProxy.start(Moto.peer().url());
        ticks = new ManualTicks();
    }

    @AfterEach
    void stopProxy() throws Exception {
        for (O orchestrator : orchestrators) {
            orchestrator.close();
        }
        backends.close();
        ticks.close();
        proxy.close();
    }

    /** Waits until no poll (nor any other task of the orchestrator's) is queued or running. */
    protected final void awaitNoPollInFlight() {
        await("no poll in flight").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(10)).until(ticks::idle);
    }

    /**
     * Starts the proxy's call counts at zero once no poll is in flight: a poll of an earlier tick
     * still running would otherwise count its later calls (its DescribeTargetHealth, say) without
     * the Describe that began it.
     */
    protected final void resetCounts() {
        awaitNoPollInFlight();
        proxy.resetCounts();
    }

    /** A new orchestrator through {@code endpoint}, ticking with {@code context}, probing through {@code probeAddress}. */
    protected abstract O create(String endpoint, PluginContext context, UnaryOperator<Endpoint> probeAddress);

    /** A new orchestrator through the proxy, closed after the test. */
    protected final O orchestrator() {
        O orchestrator = create(proxy.url(), ticks, backends::reachable);
        orchestrators.add(orchestrator);
        return orchestrator;
    }
}
