package io.zeroscale.spi.alert;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;

/** Creates alert sinks of one {@link #type()}, e.g. {@code webhook}, {@code alertmanager}. */
public interface AlertSinkFactory {
    /** The value of {@code type:} in config that selects this factory. */
    String type();

    /**
     * Creates a sink named {@code name} (its key under {@code alerts.sinks:}). Validates
     * {@code config} strictly and fails fast; must not contact the receiver (the daemon also builds
     * sinks to validate a config). Called once at startup on the main thread.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} naming the path and the fix
     */
    AlertSink create(String name, Config config, PluginContext context);
}
