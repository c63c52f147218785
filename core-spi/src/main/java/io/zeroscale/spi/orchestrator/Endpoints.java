package io.zeroscale.spi.orchestrator;

import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import java.util.function.Consumer;

/**
 * Capability: the orchestrator pushes readiness and endpoint changes as they happen (informers,
 * Docker events, a process's probe), so a wake from zero ends the moment a replica is ready. An
 * orchestrator without it is polled with {@link Orchestrator#observe}.
 */
public interface Endpoints {
    /**
     * Starts pushing events about {@code target} to {@code listener}. The first event is a {@link
     * WorkloadEvent.Changed} with the current state. Events for one target are delivered in order,
     * from a thread of the orchestrator's; the listener must not block.
     */
    Subscription watch(TargetRef target, Consumer<WorkloadEvent> listener);
}
