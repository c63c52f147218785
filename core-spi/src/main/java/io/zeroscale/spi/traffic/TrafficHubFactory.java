package io.zeroscale.spi.traffic;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;

/**
 * Creates the {@link TrafficHub} of one {@link #type()} that this process's gateway reports to,
 * instead of the local engine. Listed by {@link io.zeroscale.spi.Plugin#trafficHubFactories()};
 * the config's {@code traffic.hub.type} picks one. Without one the gateway reports to the local
 * engine, which is right for one process.
 *
 * <p>Meant for daemons that run as several replicas over the same workloads (see {@link
 * io.zeroscale.spi.Leadership}): the leader decides scaling, so it must hear every gateway's
 * traffic. A typical hub passes every call to {@code local} (this daemon's routes, and a
 * follower's conditional wake, come from its own engine) and also forwards reports, drains,
 * heartbeats and departures to the leader, whose engine sums them per gateway; after it
 * (re)connects to a leader it resends each target's newest counters, as a heartbeat vouches only
 * for reports that arrived. Routes come from {@code local}, or from the leader while the hub
 * hears it (so a follower's gateway drains what the leader drains and reports those drains with
 * the leader's drain ids); a hub that cannot hear the leader falls back to {@code local}'s at once,
 * as the local engine, holding requests as a follower, wakes targets through the conditional wake.
 */
public interface TrafficHubFactory {
    /** The value of {@code traffic.hub.type:} in config that selects this factory. */
    String type();

    /**
     * Creates the hub. Called once at startup on the main thread, after the engine is built and
     * before the gateway starts; must not block on the network (a hub that cannot reach the leader
     * yet keeps trying in the background, while {@code local} keeps serving).
     *
     * @param config the {@code traffic.hub} node without {@code type}
     * @param local the local engine's hub, to pass calls on to
     * @return the hub; closed by the engine when it implements {@link AutoCloseable}
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} naming the bad key and the fix
     */
    TrafficHub create(Config config, PluginContext context, TrafficHub local);
}
