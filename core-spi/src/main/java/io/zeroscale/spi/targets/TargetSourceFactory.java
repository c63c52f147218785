package io.zeroscale.spi.targets;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;

/**
 * Creates the {@link TargetSource} of one {@link #type()}, e.g. Kubernetes custom resources.
 * Listed by {@link io.zeroscale.spi.Plugin#targetSourceFactories()}; each entry of the config's
 * {@code target-sources.<name>} picks one with its {@code type}.
 */
public interface TargetSourceFactory {
    /** The value of {@code target-sources.<name>.type:} in config that selects this factory. */
    String type();

    /**
     * Creates the source without delivering anything yet (that starts with {@link
     * TargetSource#subscribe}). Called once at startup on the main thread, after the engine
     * started; {@code context} delivers the engine's events, so a source can report its targets'
     * state back where it found them.
     *
     * @param name the source's name under {@code target-sources}
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} naming the bad key and the fix
     */
    TargetSource create(String name, Config config, PluginContext context);
}
