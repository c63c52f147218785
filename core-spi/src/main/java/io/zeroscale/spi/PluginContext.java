package io.zeroscale.spi;

import io.zeroscale.spi.events.EngineListener;
import java.nio.file.Path;
import java.util.concurrent.Executor;

/**
 * What the engine gives a plugin factory when it creates an orchestrator, a metric source or an
 * automaton. Implemented by the engine; plugins only call it.
 */
public interface PluginContext {
    /** Time and timers; virtual in tests and simulations. */
    Scheduler scheduler();

    /**
     * Where blocking client calls run (a virtual thread per task in production). Plugins that
     * wait on sockets or processes should use it instead of creating threads.
     */
    Executor blockingExecutor();

    /**
     * A directory private to this plugin instance that survives restarts of the daemon, for state
     * such as the processes a previous run left behind. Created on demand by the engine.
     */
    Path dataDirectory();

    /**
     * Calls {@code listener} with every engine event from now on: journal entries and decisions
     * of every target (see {@link io.zeroscale.spi.events.EngineEvent}). May be called from a
     * factory's {@code create} or later, from any thread; events start once the engine runs.
     * Contexts outside a running engine (config validation) deliver none.
     *
     * @return closing it stops the calls; the engine closes what is left when it closes
     */
    default Subscription subscribe(EngineListener listener) {
        return Subscription.NONE;
    }
}
