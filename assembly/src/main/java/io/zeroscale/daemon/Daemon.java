package io.zeroscale.daemon;

import static java.util.Objects.requireNonNull;

import com.google.inject.CreationException;
import com.google.inject.Guice;
import com.google.inject.ProvisionException;
import com.google.inject.Stage;
import com.google.inject.spi.Message;
import io.zeroscale.daemon.api.ApiHandlers;
import io.zeroscale.daemon.api.ApiServer;
import io.zeroscale.daemon.config.ConfigLoader;
import io.zeroscale.daemon.config.DaemonConfig;
import io.zeroscale.engine.Zeroscale;
import io.zeroscale.gateway.Gateway;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.targets.TargetChange;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running daemon: the engine with its plugins, the gateway in front of the targets, the REST
 * API and the daemon's telemetry. {@link #create} wires it with Guice; {@link #start()} opens the
 * listeners; {@link #stop()} (SIGTERM) stops accepting, lets in-flight requests finish and closes
 * everything while leaving every workload exactly as it is.
 */
public final class Daemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);

    private final DaemonConfig config;
    private final Plugins plugins;
    private final DaemonTelemetry telemetry;
    private final Zeroscale zeroscale;
    private final ApiServer api;
    private final ApiHandlers handlers;
    private final Readiness readiness;
    private @Nullable Path configFile;
    private Map<String, String> configOverrides = Map.of();
    private @Nullable ConfigFileTargets configTargets;
    private final java.util.List<io.zeroscale.spi.targets.TargetSource> targetSources = new java.util.ArrayList<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private @Nullable Gateway gateway;
    private boolean started;
    private boolean closed;

    Daemon(DaemonConfig config, Plugins plugins, DaemonTelemetry telemetry, Zeroscale zeroscale, ApiServer api, ApiHandlers handlers,
            Readiness readiness) {
        this.config = requireNonNull(config, "config is null");
        this.plugins = requireNonNull(plugins, "plugins is null");
        this.telemetry = requireNonNull(telemetry, "telemetry is null");
        this.zeroscale = requireNonNull(zeroscale, "zeroscale is null");
        this.api = requireNonNull(api, "api is null");
        this.handlers = requireNonNull(handlers, "handlers is null");
        this.readiness = requireNonNull(readiness, "readiness is null");
    }

    /**
     * Wires a daemon for {@code config}: builds the engine with every plugin (which validates each
     * orchestrator, metric source, workload and policy), the API and the telemetry. Nothing
     * listens yet. On failure everything created so far is closed.
     *
     * @throws ZeroscaleException naming the config path and the fix
     */
    public static Daemon create(DaemonConfig config, Plugins plugins) {
        DaemonModule module = new DaemonModule(config, plugins);
        try {
            return Guice.createInjector(Stage.PRODUCTION, module).getInstance(Daemon.class);
        } catch (CreationException e) {
            module.closeCreated();
            throw unwrap(e.getErrorMessages(), e);
        } catch (ProvisionException e) {
            module.closeCreated();
            throw unwrap(e.getErrorMessages(), e);
        }
    }

    /** Guice wraps what a provider throws; the user needs the config message, not the wiring trace. */
    private static RuntimeException unwrap(Collection<Message> messages, RuntimeException wrapper) {
        for (Message message : messages) {
            Throwable cause = message.getCause();
            while (cause != null) {
                if (cause instanceof ZeroscaleException zeroscaleException) {
                    return zeroscaleException;
                }
                cause = cause.getCause();
            }
        }
        return new ZeroscaleException(StandardErrorCode.INTERNAL, "wiring the daemon failed: " + wrapper.getMessage(), wrapper);
    }

    /**
     * Checks everything {@link #create} would check (plugin types, each plugin's own keys, workloads,
     * policies and their expressions) without touching the data directory or any workload: the
     * engine is built against a throw-away directory and closed again.
     *
     * @throws ZeroscaleException naming the config path and the fix
     */
    public static void validate(DaemonConfig config, Plugins plugins) {
        java.nio.file.Path scratch;
        try {
            scratch = java.nio.file.Files.createTempDirectory("zeroscale-validate");
        } catch (java.io.IOException e) {
            throw new ZeroscaleException(StandardErrorCode.INTERNAL, "cannot create a temporary directory to validate in", e);
        }
        try {
            Zeroscale.Builder builder = Zeroscale.builder().dataDirectory(scratch);
            plugins.plugins().forEach(builder::plugin);
            config.orchestrators().forEach(builder::orchestrator);
            config.metrics().forEach(builder::metricSource);
            Config leadership = config.leadership();
            if (leadership != null) {
                // Only the type is checked: creating it would take part in an election.
                String type = leadership.requireString("type");
                java.util.Set<String> installed = new java.util.TreeSet<>();
                plugins.plugins().forEach(plugin -> plugin.leadershipFactories().forEach(factory -> installed.add(factory.type())));
                if (!installed.contains(type)) {
                    throw new ZeroscaleException(StandardErrorCode.NOT_FOUND, leadership.pathOf("type") + ": no plugin provides type '"
                            + type + "'; installed types: " + installed + ". Put the plugin's jars in plugins/<name>/.");
                }
            }
            Config trafficHub = config.trafficHub();
            if (trafficHub != null) {
                // Only the type is checked: creating it would connect to other daemons.
                String type = trafficHub.requireString("type");
                java.util.Set<String> installed = new java.util.TreeSet<>();
                plugins.plugins().forEach(plugin -> plugin.trafficHubFactories().forEach(factory -> installed.add(factory.type())));
                if (!installed.contains(type)) {
                    throw new ZeroscaleException(StandardErrorCode.NOT_FOUND, trafficHub.pathOf("type") + ": no plugin provides type '"
                            + type + "'; installed types: " + installed + ". Put the plugin's jars in plugins/<name>/.");
                }
            }
            // Only the types are checked: creating a source would reach its backend (a cluster).
            config.targetSources().values().forEach(settings -> targetSourceFactory(plugins, settings));
            Config stateStore = config.stateStore();
            if (stateStore != null) {
                // Only the type is checked: creating it would reach the store (a cluster).
                String type = stateStore.requireString("type");
                java.util.Set<String> installed = new java.util.TreeSet<>();
                plugins.plugins().forEach(plugin -> plugin.stateStoreFactories().forEach(factory -> installed.add(factory.type())));
                if (!installed.contains(type)) {
                    throw new ZeroscaleException(StandardErrorCode.NOT_FOUND, stateStore.pathOf("type") + ": no plugin provides type '"
                            + type + "'; installed types: " + installed + ". Put the plugin's jars in plugins/<name>/.");
                }
            }
            builder.traffic(config.traffic());
            config.targets().forEach(builder::target);
            builder.alerts(config.alerts());
            // Sinks are built (their config checked) but never contacted: creating one sends nothing.
            config.alertSinks().forEach(builder::alertSink);
            builder.build().close();
        } finally {
            deleteRecursively(scratch);
        }
    }

    /** The factory that {@code settings}' {@code type} names, or a NOT_FOUND naming the installed types. */
    private static io.zeroscale.spi.targets.TargetSourceFactory targetSourceFactory(Plugins plugins, Config settings) {
        String type = settings.requireString("type");
        java.util.Map<String, io.zeroscale.spi.targets.TargetSourceFactory> installed = new java.util.TreeMap<>();
        plugins.plugins().forEach(plugin -> plugin.targetSourceFactories().forEach(factory -> installed.put(factory.type(), factory)));
        io.zeroscale.spi.targets.TargetSourceFactory factory = installed.get(type);
        if (factory == null) {
            throw new ZeroscaleException(StandardErrorCode.NOT_FOUND, settings.pathOf("type") + ": no plugin provides type '" + type
                    + "'; installed target source types: " + installed.keySet() + ". Put the plugin's jars in plugins/<name>/.");
        }
        return factory;
    }

    private static void deleteRecursively(java.nio.file.Path directory) {
        try (java.util.stream.Stream<java.nio.file.Path> paths = java.nio.file.Files.walk(directory)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (java.io.IOException e) {
            log.debug("could not remove {}", directory, e);
        }
    }

    /**
     * Makes the targets reloadable from {@code file}, the file {@code config} was read from with
     * these {@code overrides} ({@code --set}): once started, the daemon reloads it when it changes
     * and on {@code POST /config/reload}. Before {@link #start()}.
     */
    public synchronized Daemon reloadFrom(Path file, Map<String, String> overrides) {
        if (started) {
            throw new IllegalStateException("reloadFrom is called before start()");
        }
        configFile = requireNonNull(file, "file is null");
        configOverrides = Map.copyOf(overrides);
        return this;
    }

    /**
     * Reads the config file again and applies what changed under {@code targets:}: targets added,
     * changed (a changed policy restarts the automaton, a changed workload is a removal plus an
     * addition, a changed route is swapped in the gateway) and removed (their workloads are left as
     * they are). All or nothing.
     *
     * @param origin who asked, for the journal and the log
     * @throws ZeroscaleException {@code CONFIG_INVALID} naming every problem (the running targets
     *     stay as they were), including a change outside {@code targets:}, which needs a restart
     * @throws IllegalStateException when the daemon runs without a config file ({@link #reloadFrom})
     */
    public TargetChange reloadConfig(String origin) {
        ConfigFileTargets source;
        synchronized (this) {
            source = configTargets;
        }
        if (source == null) {
            throw new IllegalStateException("this daemon was not started from a config file; there is nothing to reload");
        }
        return source.reload(origin);
    }

    /** Starts the engine, then the gateway and the API; ready once all listen. */
    public synchronized Daemon start() {
        if (started) {
            return this;
        }
        started = true;
        String gatewayListen = config.gateway().listen().getHostString() + ":" + config.gateway().listen().getPort();
        try {
            zeroscale.start();
            try {
                Gateway.Builder builder = Gateway.builder(zeroscale.trafficHub())
                        .config(config.gateway())
                        .routes(config.routes());
                config.targetGateways().forEach(builder::targetConfig);
                gateway = builder.start();
            } catch (Exception e) { // Netty throws its bind failure as an undeclared IOException
                throw listenFailure("gateway.listen", gatewayListen, e);
            }
            Path file = configFile;
            Gateway running = gateway;
            if (running != null && (file != null || !config.targetSources().isEmpty())) {
                // One registry for every source: names and routes are unique across them.
                TargetRegistry registry = new TargetRegistry(zeroscale.engine(), config, running);
                if (file != null) {
                    ConfigFileTargets source = new ConfigFileTargets(file, configOverrides, ConfigLoader.fromEnvironment(), config);
                    source.subscribe(registry);
                    configTargets = source;
                    handlers.reloadWith(source::reload);
                }
                config.targetSources().forEach((name, settings) -> {
                    io.zeroscale.spi.targets.TargetSource source = targetSourceFactory(plugins, settings)
                            .create(name, settings, zeroscale.engine().pluginContext("target-source-" + name));
                    targetSources.add(source);
                    source.subscribe(registry.owner("target source " + name));
                });
            }
            try {
                api.start();
            } catch (RuntimeException e) {
                throw listenFailure("api.listen", config.api().host() + ":" + config.api().port(), e);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        readiness.set(true);
        log.atInfo().addKeyValue("gateway", "http://" + config.gateway().listen().getHostString() + ":" + gatewayPort())
                .addKeyValue("api", "http://" + config.api().host() + ":" + apiPort())
                .addKeyValue("targets", config.targets().size())
                .addKeyValue("version", Version.get())
                .log("zeroscale is ready");
        return this;
    }

    /**
     * A listen address that is taken is the common startup failure (a second daemon, or another
     * server on 8080): one line naming the key, the value and the fix, not the transport's trace.
     */
    private static RuntimeException listenFailure(String key, String address, Exception failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.net.BindException
                    || (cause.getMessage() != null && cause.getMessage().contains("Address already in use"))) {
                return new ZeroscaleException(StandardErrorCode.CONFIG_INVALID, key + ": " + address + " is already in use;"
                        + " stop what listens there or choose another port (0 picks a free one)", failure);
            }
        }
        if (failure instanceof RuntimeException runtime) {
            return runtime;
        }
        return new ZeroscaleException(StandardErrorCode.CONFIG_INVALID, key + ": cannot listen on " + address + " ("
                + failure.getMessage() + "); use an address of this machine and a free port", failure);
    }

    /** The gateway's port (the real one when the config said 0). */
    public int gatewayPort() {
        Gateway current = gateway;
        if (current == null) {
            throw new IllegalStateException("not started");
        }
        return current.port();
    }

    /** The running gateway; for tests in this package. */
    Gateway gateway() {
        Gateway current = gateway;
        if (current == null) {
            throw new IllegalStateException("not started");
        }
        return current;
    }

    /** The REST API's port (the real one when the config said 0). */
    public int apiPort() {
        return api.port();
    }

    public Zeroscale zeroscale() {
        return zeroscale;
    }

    public DaemonConfig config() {
        return config;
    }

    public ApiServer api() {
        return api;
    }

    /** Waits until {@link #stop()} finished. */
    public void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    /** What SIGTERM does; same as {@link #close()}. */
    public void stop() {
        close();
    }

    /**
     * Stops accepting, drains, closes. Readiness goes false first (load balancers stop sending),
     * the engine stops without scaling anything (workloads keep running, and the next start adopts
     * them), then the gateway shuts down gracefully: it refuses new connections, answers held and
     * new requests 503 with Retry-After, and gives in-flight requests up to its drain-timeout to
     * finish (see {@link Gateway#shutdown}). Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        readiness.set(false);
        log.info("zeroscale is shutting down: draining, then leaving every workload as it is");
        ConfigFileTargets source = configTargets;
        if (source != null) {
            source.close();
        }
        targetSources.forEach(other -> closeQuietly("target source", other));
        // The engine stops first, so nothing is scaled from here on: a replica that exits during
        // shutdown (one in the daemon's process group gets a terminal's Ctrl-C too, see the process
        // orchestrator's setsid) is not replaced by one that outlives the daemon. Routes already
        // published stay in the gateway for the drain.
        closeQuietly("engine", zeroscale);
        Gateway current = gateway;
        if (current != null) {
            try {
                current.shutdown(config.gateway().drainTimeout());
            } catch (RuntimeException e) {
                log.warn("shutting the gateway down failed; closing it", e);
            }
            closeQuietly("gateway", current);
        }
        closeQuietly("REST API", api);
        closeQuietly("telemetry", telemetry);
        closeQuietly("plugins", plugins);
        stopped.countDown();
        log.info("zeroscale stopped");
    }

    private static void closeQuietly(String what, AutoCloseable resource) {
        try {
            resource.close();
        } catch (Exception e) {
            log.warn("closing the {} failed", what, e);
        }
    }

    /** Awaits termination for at most {@code timeout}; for tests. */
    boolean awaitStopped(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
}
