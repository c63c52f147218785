package io.zeroscale.spi;

/**
 * Creates the {@link Leadership} of one {@link #type()}, e.g. a Kubernetes Lease. Listed by {@link
 * Plugin#leadershipFactories()}; the config's {@code leadership.type} picks one.
 */
public interface LeadershipFactory {
    /** The value of {@code leadership.type:} in config that selects this factory. */
    String type();

    /**
     * Creates and starts taking part in the election. Called once at startup on the main thread;
     * must not wait for the outcome (the engine starts as a follower until told otherwise).
     *
     * @throws ZeroscaleException {@code CONFIG_INVALID} naming the bad key and the fix
     */
    Leadership create(Config config, PluginContext context);
}
