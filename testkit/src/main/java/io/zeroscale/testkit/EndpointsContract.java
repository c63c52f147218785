package io.zeroscale.testkit;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.orchestrator.Endpoints;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The {@link OrchestratorContract} plus what an orchestrator that implements {@link Endpoints}
 * promises: readiness is pushed, not polled. Extend this instead of {@code OrchestratorContract}
 * when the orchestrator under test implements {@code Endpoints}.
 */
public abstract class EndpointsContract extends OrchestratorContract {
    @Test
    void watchPushesCurrentStateFirstThenReadinessAfterScaleUp() throws Exception {
        assertThat(orchestrator())
                .as("an orchestrator tested with EndpointsContract must implement Endpoints")
                .isInstanceOf(Endpoints.class);
        Endpoints endpoints = (Endpoints) orchestrator();
        List<WorkloadEvent> events = new CopyOnWriteArrayList<>();

        Subscription subscription = endpoints.watch(target(), events::add);
        try {
            await("the first watch event").atMost(readinessTimeout()).until(() -> !events.isEmpty());
            assertThat(events.get(0))
                    .as("first watch event")
                    .isInstanceOfSatisfying(WorkloadEvent.Changed.class, changed -> {
                        assertThat(changed.state().replicas()).as("replicas in the first event").isZero();
                        assertThat(changed.state().readyEndpoints())
                                .as("endpoints in the first event")
                                .isEmpty();
                    });

            orchestrator().scale(target(), 1);

            // Only the pushed events are looked at: readiness must arrive without calling observe.
            WorkloadEvent.Changed ready = await("a Changed event with one ready endpoint")
                    .atMost(readinessTimeout())
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> firstReady(events), changed -> changed != null);
            assertAnswersHttp(requireNonNull(ready).state().readyEndpoints().get(0));
        } finally {
            subscription.close();
        }
    }

    private static WorkloadEvent.@Nullable Changed firstReady(List<WorkloadEvent> events) {
        for (WorkloadEvent event : events) {
            if (event instanceof WorkloadEvent.Changed changed
                    && changed.state().readyReplicas() == 1
                    && changed.state().readyEndpoints().size() == 1) {
                return changed;
            }
        }
        return null;
    }
}
