package io.zeroscale.spi.orchestrator;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;

/** Creates orchestrators of one {@link #type()}, e.g. {@code docker}. */
public interface OrchestratorFactory {
    /** The value of {@code type:} in config that selects this factory. */
    String type();

    /**
     * Creates an orchestrator instance named {@code name} (its key under {@code orchestrators:}).
     * Validates {@code config} strictly and fails fast.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} naming the path and the
     *     fix, or {@code ORCHESTRATOR_UNAVAILABLE} naming the backend when it cannot be reached
     */
    Orchestrator create(String name, Config config, PluginContext context);
}
