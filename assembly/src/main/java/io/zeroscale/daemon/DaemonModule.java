package io.zeroscale.daemon;

import static java.util.Objects.requireNonNull;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import io.zeroscale.daemon.api.ApiHandlers;
import io.zeroscale.daemon.api.ApiServer;
import io.zeroscale.daemon.config.DaemonConfig;
import io.zeroscale.engine.Zeroscale;
import io.zeroscale.spi.Config;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the daemon: every binding is explicit and every object a singleton built by a provider
 * here, so the wiring reads top to bottom. Guice stays inside the daemon: plugins see only the SPI.
 */
final class DaemonModule extends AbstractModule {
    private static final Logger log = LoggerFactory.getLogger(DaemonModule.class);

    private final DaemonConfig config;
    private final Plugins plugins;
    private final List<AutoCloseable> created = new ArrayList<>();

    DaemonModule(DaemonConfig config, Plugins plugins) {
        this.config = requireNonNull(config, "config is null");
        this.plugins = requireNonNull(plugins, "plugins is null");
    }

    @Override
    protected void configure() {
        binder().requireExplicitBindings();
        binder().disableCircularProxies();
        bind(DaemonConfig.class).toInstance(config);
        bind(Plugins.class).toInstance(plugins);
    }

    @Provides
    @Singleton
    DaemonTelemetry telemetry(DaemonConfig config) {
        return track(DaemonTelemetry.create(config.telemetry(), Version.get()));
    }

    @Provides
    @Singleton
    Zeroscale zeroscale(DaemonConfig config, Plugins plugins, DaemonTelemetry telemetry) {
        Zeroscale.Builder builder = Zeroscale.builder()
                .dataDirectory(config.dataDirectory())
                .openTelemetry(telemetry.openTelemetry());
        plugins.plugins().forEach(builder::plugin);
        config.orchestrators().forEach(builder::orchestrator);
        config.metrics().forEach(builder::metricSource);
        Config leadership = config.leadership();
        if (leadership != null) {
            builder.leadership(leadership);
        }
        config.targets().forEach(builder::target);
        builder.alerts(config.alerts());
        config.alertSinks().forEach(builder::alertSink);
        builder.traffic(config.traffic());
        Config trafficHub = config.trafficHub();
        if (trafficHub != null) {
            builder.trafficHub(trafficHub);
        }
        Config stateStore = config.stateStore();
        if (stateStore != null) {
            builder.stateStore(stateStore);
        }
        return track(builder.build());
    }

    @Provides
    @Singleton
    Readiness readiness() {
        return new Readiness();
    }

    @Provides
    @Singleton
    ApiHandlers handlers(DaemonConfig config, Zeroscale zeroscale, Readiness readiness) {
        return new ApiHandlers(zeroscale.engine(), config.targets(), readiness, Version.get());
    }

    @Provides
    @Singleton
    ApiServer api(DaemonConfig config, ApiHandlers handlers, DaemonTelemetry telemetry) {
        return track(new ApiServer(config.api(), handlers, telemetry));
    }

    @Provides
    @Singleton
    Daemon daemon(DaemonConfig config, Plugins plugins, DaemonTelemetry telemetry, Zeroscale zeroscale, ApiServer api, ApiHandlers handlers,
            Readiness readiness) {
        return new Daemon(config, plugins, telemetry, zeroscale, api, handlers, readiness);
    }

    private <T extends AutoCloseable> T track(T resource) {
        synchronized (created) {
            created.add(resource);
        }
        return resource;
    }

    /** Closes what the providers built before wiring failed, newest first. */
    void closeCreated() {
        List<AutoCloseable> resources;
        synchronized (created) {
            resources = new ArrayList<>(created.reversed());
            created.clear();
        }
        for (AutoCloseable resource : resources) {
            try {
                resource.close();
            } catch (Exception e) {
                log.warn("closing {} after a failed start failed", resource, e);
            }
        }
    }
}
