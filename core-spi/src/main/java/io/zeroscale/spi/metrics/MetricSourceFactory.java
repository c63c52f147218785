package io.zeroscale.spi.metrics;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;

/** Creates metric sources of one {@link #type()}, e.g. {@code prometheus}. */
public interface MetricSourceFactory {
    /** The value of {@code type:} in config that selects this factory. */
    String type();

    /**
     * Creates the source named {@code name} (its key under {@code metrics:}). Validates {@code
     * config} strictly.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} naming the path and the fix
     */
    MetricSource create(String name, Config config, PluginContext context);
}
