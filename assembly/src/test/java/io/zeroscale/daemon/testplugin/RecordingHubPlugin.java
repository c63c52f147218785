package io.zeroscale.daemon.testplugin;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.Plugin;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.spi.traffic.RouteListener;
import io.zeroscale.spi.traffic.TrafficHub;
import io.zeroscale.spi.traffic.TrafficHubFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;

/**
 * A plugin with a traffic hub of type {@code recording}, packed into a jar in a plugins/ folder by
 * TrafficHubPluginIT as a user would drop one in: it writes one line per call it gets to the file
 * named by {@code traffic.hub.log} and passes every call on to the local engine, as a hub that
 * forwards to a leader does. The file is how the test sees the hub: the plugin lives in a class
 * loader of its own.
 */
public final class RecordingHubPlugin implements Plugin {
    @Override
    public List<TrafficHubFactory> trafficHubFactories() {
        return List.of(new Factory());
    }

    static final class Factory implements TrafficHubFactory {
        @Override
        public String type() {
            return "recording";
        }

        @Override
        public TrafficHub create(Config config, PluginContext context, TrafficHub local) {
            config.requireOnlyKeys(Set.of("log"));
            return new Hub(Path.of(config.requireString("log")), local);
        }
    }

    /** Records, then passes on. */
    static final class Hub implements TrafficHub, AutoCloseable {
        private final Path log;
        private final TrafficHub local;

        Hub(Path log, TrafficHub local) {
            this.log = log;
            this.local = local;
            record("created");
        }

        private synchronized void record(String line) {
            try {
                Files.writeString(log, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void report(String gateway, TargetRef target, RequestStats stats) {
            record("report " + gateway + " " + target.name() + " held=" + stats.held() + " inFlight=" + stats.inFlight()
                    + " arrivals=" + stats.arrivals());
            local.report(gateway, target, stats);
        }

        @Override
        public void drained(String gateway, TargetRef target, List<Endpoint> endpoints) {
            record("drained " + gateway + " " + target.name());
            local.drained(gateway, target, endpoints);
        }

        @Override
        public void drained(String gateway, TargetRef target, long drain, List<Endpoint> endpoints) {
            record("drained " + gateway + " " + target.name());
            local.drained(gateway, target, drain, endpoints);
        }

        @Override
        public void endpointRefused(String gateway, TargetRef target, Endpoint endpoint, String reason) {
            record("refused " + gateway + " " + target.name());
            local.endpointRefused(gateway, target, endpoint, reason);
        }

        @Override
        public void heartbeat(String gateway) {
            record("heartbeat " + gateway);
            local.heartbeat(gateway);
        }

        @Override
        public void left(String gateway) {
            record("left " + gateway);
            local.left(gateway);
        }

        @Override
        public Subscription subscribe(RouteListener listener) {
            record("subscribe");
            return local.subscribe(listener);
        }

        @Override
        public void close() {
            record("closed");
        }
    }
}
