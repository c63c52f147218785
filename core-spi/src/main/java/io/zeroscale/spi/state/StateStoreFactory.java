package io.zeroscale.spi.state;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;

/**
 * Creates the {@link StateStore} of one {@link #type()}, e.g. one backed by a Kubernetes cluster.
 * Listed by {@link io.zeroscale.spi.Plugin#stateStoreFactories()}; the SDK builder's {@code
 * stateStore(Config)} picks one by {@code type}. Without one the engine keeps its state in files
 * under the data directory.
 */
public interface StateStoreFactory {
    /** The value of {@code type:} that selects this factory. */
    String type();

    /**
     * Creates the store. Called once at startup on the main thread, before any target starts; it
     * may check that the store can be reached.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} naming the bad key and the fix
     */
    StateStore create(Config config, PluginContext context);
}
