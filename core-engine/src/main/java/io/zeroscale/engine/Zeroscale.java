package io.zeroscale.engine;

import static io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID;
import static io.zeroscale.spi.StandardErrorCode.NOT_FOUND;
import static java.util.Objects.requireNonNull;

import io.opentelemetry.api.OpenTelemetry;
import io.zeroscale.engine.state.DataDirectoryLock;
import io.zeroscale.engine.state.FileStateStore;
import io.zeroscale.engine.state.MemoryStateStore;
import io.zeroscale.engine.time.SystemScheduler;
import io.zeroscale.engine.time.VirtualScheduler;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.ConfigProblems;
import io.zeroscale.spi.Leadership;
import io.zeroscale.spi.LeadershipFactory;
import io.zeroscale.spi.alert.AlertSink;
import io.zeroscale.spi.alert.AlertSinkFactory;
import io.zeroscale.spi.Plugin;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.automaton.AutomatonFactory;
import io.zeroscale.spi.events.EngineListener;
import io.zeroscale.spi.state.StateStore;
import io.zeroscale.spi.state.StateStoreFactory;
import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.spi.metrics.MetricSourceFactory;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.OrchestratorFactory;
import io.zeroscale.spi.traffic.TrafficHub;
import io.zeroscale.spi.traffic.TrafficHubFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jspecify.annotations.Nullable;

/**
 * The SDK entry point: everything the daemon does, in your own process. Build it with {@link
 * #builder()}, {@link #start()} it, connect a gateway (module {@code gateway}) to {@link
 * #trafficHub()}, and {@link #close()} it when your service stops:
 *
 * <pre>{@code
 * try (Zeroscale zeroscale = Zeroscale.builder()
 *         .pluginsFrom(MyService.class.getClassLoader())   // plugins and policies on the class path
 *         .orchestrator("local", Config.of("orchestrators.local", Map.of("type", "process")))
 *         .target(TargetSpec.fromConfig("backend", Config.of("targets.backend", Map.of(
 *                 "orchestrator", "local",
 *                 "workload", Map.of("kind", "Process", "command", List.of("./serve", "--port", "{port}")),
 *                 "policy", Map.of("automaton", "zero-to-n", "idle", "5m")))))
 *         .build()
 *         .start();
 *      Gateway gateway = Gateway.builder(zeroscale.trafficHub())
 *         .listen("127.0.0.1", 8080)
 *         .route(GatewayRoute.path(zeroscale.status("backend").orElseThrow().ref(), "/"))
 *         .start()) {
 *     // requests to 127.0.0.1:8080 wake the backend from zero; read zeroscale.statuses() and journal()
 * }
 * }</pre>
 *
 * A complete, tested example is {@code samples/embedded-sdk} in the repository. The builder and
 * {@link #close()} are called from your own thread; the read methods ({@link #statuses()}, {@link
 * #status(String)}, {@link #journal()}) are safe from any thread. {@link #close()} stops the engine
 * cleanly and leaves every workload as it is (a running backend keeps running; the next start
 * adopts it).
 */
public final class Zeroscale implements AutoCloseable {
    private final Engine engine;
    private final TrafficHub hub;
    private final List<AutoCloseable> resources;

    private Zeroscale(Engine engine, TrafficHub hub, List<AutoCloseable> resources) {
        this.engine = engine;
        this.hub = hub;
        this.resources = resources;
    }

    /** A new builder with the built-in plugin (the {@code process} orchestrator and the built-in automata). */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Observes every target and starts its policy; returns at once (the engine runs on its own
     * threads). Call once, after {@link Builder#build()}.
     *
     * @return this, for chaining
     */
    public Zeroscale start() {
        engine.start();
        return this;
    }

    /** The engine itself, for what this class does not wrap (alerts, decisions, overrides, pause). */
    public Engine engine() {
        return engine;
    }

    /**
     * What a gateway connects to: request signals in, routes out. The engine itself, unless a
     * plugin supplied the hub ({@link Builder#trafficHub(Config)}).
     */
    public TrafficHub trafficHub() {
        return hub;
    }

    /** The decision journal: every decision and why, newest last; {@link Journal#subscribe} follows it live. */
    public Journal journal() {
        return engine.journal();
    }

    /** A consistent snapshot of every target (state, replicas, signals, request counters). */
    public List<TargetStatus> statuses() {
        return engine.statuses();
    }

    /**
     * A snapshot of one target, or empty when no target has that name. Its {@link TargetStatus#ref()}
     * is what a gateway route points at.
     */
    public Optional<TargetStatus> status(String target) {
        return engine.status(requireNonNull(target, "target is null"));
    }

    /**
     * Stops the engine, its timers and every orchestrator and metric source it created or was given;
     * never scales a workload. Close the gateway first so no request is cut.
     *
     * @throws ZeroscaleException {@code INTERNAL} when a resource fails to close
     */
    @Override
    public void close() {
        engine.close();
        for (AutoCloseable resource : resources.reversed()) {
            try {
                resource.close();
            } catch (Exception e) {
                throw new ZeroscaleException(io.zeroscale.spi.StandardErrorCode.INTERNAL, "closing " + resource + " failed", e);
            }
        }
    }

    /** Collects plugins, orchestrators, sources and targets; {@link #build()} validates them all. */
    public static final class Builder {
        // Both null until set: build() then makes (and owns) a SystemScheduler.
        private @Nullable Scheduler scheduler;
        private @Nullable VirtualScheduler virtualScheduler;
        private Path dataDirectory = Path.of(".zeroscale");
        private OpenTelemetry openTelemetry = OpenTelemetry.noop();
        private ActuationSettings actuation = ActuationSettings.DEFAULT;
        private int journalCapacity = 10_000;
        private boolean persistentHistory = true;
        private final List<Plugin> plugins = new ArrayList<>(List.of(new BuiltinPlugin()));
        private final Map<String, Orchestrator> orchestrators = new LinkedHashMap<>();
        private final Map<String, Config> orchestratorConfigs = new LinkedHashMap<>();
        private final Map<String, MetricSource> sources = new LinkedHashMap<>();
        private final Map<String, Config> sourceConfigs = new LinkedHashMap<>();
        private final List<TargetSpec> targets = new ArrayList<>();
        private @Nullable Leadership leadership;
        private @Nullable Config leadershipConfig;
        private AlertSettings alertSettings = AlertSettings.DEFAULT;
        private TrafficSettings trafficSettings = TrafficSettings.DEFAULT;
        private @Nullable Config trafficHubConfig;
        private final Map<String, AlertSink> alertSinks = new LinkedHashMap<>();
        private final Map<String, Config> alertSinkConfigs = new LinkedHashMap<>();
        private @Nullable StateStore stateStore;
        private @Nullable Config stateStoreConfig;

        private Builder() {}

        /**
         * Where the engine keeps operator state (automation pause, manual overrides) and the
         * journal across restarts; the engine closes it. Default: files under {@code
         * <data-directory>/state} ({@link FileStateStore}), or {@link MemoryStateStore} under
         * {@linkplain #virtualTime virtual time}.
         */
        public Builder stateStore(StateStore store) {
            this.stateStore = requireNonNull(store, "store is null");
            this.stateStoreConfig = null;
            return this;
        }

        /** A state store made by the plugin factory named by {@code config}'s {@code type}. */
        public Builder stateStore(Config config) {
            this.stateStoreConfig = requireNonNull(config, "config is null");
            this.stateStore = null;
            return this;
        }

        /** When alerts are raised (default {@link AlertSettings#DEFAULT}); they go to the alert sinks. */
        public Builder alerts(AlertSettings settings) {
            this.alertSettings = requireNonNull(settings, "settings is null");
            return this;
        }

        /** An alert sink you built yourself; the engine closes it. Without sinks no alert is raised. */
        public Builder alertSink(String name, AlertSink sink) {
            alertSinks.put(requireNonNull(name, "name is null"), requireNonNull(sink, "sink is null"));
            return this;
        }

        /** An alert sink made by the plugin factory named by {@code config}'s {@code type}. */
        public Builder alertSink(String name, Config config) {
            alertSinkConfigs.put(requireNonNull(name, "name is null"), requireNonNull(config, "config is null"));
            return this;
        }

        /**
         * Who decides when several daemons run over the same workloads (default: this process,
         * always). The engine closes it.
         */
        public Builder leadership(Leadership leadership) {
            this.leadership = requireNonNull(leadership, "leadership is null");
            this.leadershipConfig = null;
            return this;
        }

        /** Leadership made by the plugin factory named by {@code config}'s {@code type}. */
        public Builder leadership(Config config) {
            this.leadershipConfig = requireNonNull(config, "config is null");
            this.leadership = null;
            return this;
        }

        /** How gateways' reports are treated (default {@link TrafficSettings#DEFAULT}). */
        public Builder traffic(TrafficSettings settings) {
            this.trafficSettings = requireNonNull(settings, "settings is null");
            return this;
        }

        /**
         * The hub gateways report to, made by the plugin factory ({@link
         * io.zeroscale.spi.traffic.TrafficHubFactory}) named by {@code config}'s {@code type}; it is
         * given the engine to pass calls on to. Without it, {@link #trafficHub()} is the engine.
         */
        public Builder trafficHub(Config config) {
            this.trafficHubConfig = requireNonNull(config, "config is null");
            return this;
        }

        /** Real time (the default is a {@link SystemScheduler} the engine owns). */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = requireNonNull(scheduler, "scheduler is null");
            this.virtualScheduler = null;
            return this;
        }

        /**
         * Virtual time: every actor, timer and blocking call runs on the thread that advances
         * {@code scheduler}, deterministically. For tests and simulations.
         */
        public Builder virtualTime(VirtualScheduler scheduler) {
            this.virtualScheduler = requireNonNull(scheduler, "scheduler is null");
            this.scheduler = scheduler;
            return this;
        }

        /**
         * Where plugins and the engine keep state across restarts (default {@code ./.zeroscale}).
         * Under real time the engine locks it ({@code zeroscale.lock}) while it runs: a second engine
         * or daemon on the same directory is refused, naming the directory and the holder's pid.
         */
        public Builder dataDirectory(Path dataDirectory) {
            this.dataDirectory = requireNonNull(dataDirectory, "dataDirectory is null");
            return this;
        }

        /** Where the engine's own metrics go (default: none). */
        public Builder openTelemetry(OpenTelemetry openTelemetry) {
            this.openTelemetry = requireNonNull(openTelemetry, "openTelemetry is null");
            return this;
        }

        /** Retries, circuit breaker and rate limit of orchestrator calls (default {@link ActuationSettings#DEFAULT}). */
        public Builder actuation(ActuationSettings actuation) {
            this.actuation = requireNonNull(actuation, "actuation is null");
            return this;
        }

        /**
         * Whether arrival histories are stored under the data directory (the default) or kept in
         * memory only, as simulations do.
         */
        public Builder persistentArrivalHistory(boolean persistent) {
            this.persistentHistory = persistent;
            return this;
        }

        /** How many journal entries are kept in memory (default 10,000). */
        public Builder journalCapacity(int journalCapacity) {
            this.journalCapacity = journalCapacity;
            return this;
        }

        /** Adds a plugin object: its orchestrator, metric source and automaton types become usable. */
        public Builder plugin(Plugin plugin) {
            plugins.add(requireNonNull(plugin, "plugin is null"));
            return this;
        }

        /**
         * Adds every {@link Plugin} that {@link ServiceLoader} finds through {@code loader}: each jar
         * (or class folder) with a {@code META-INF/services/io.zeroscale.spi.Plugin} line, i.e. the
         * plugin modules on your class path and your own plugins. Where two plugins provide the same
         * type, the one added first wins (the built-in plugin is always first).
         *
         * @throws java.util.ServiceConfigurationError when a listed plugin class cannot be loaded
         */
        public Builder pluginsFrom(ClassLoader loader) {
            requireNonNull(loader, "loader is null");
            ServiceLoader.load(Plugin.class, loader).forEach(plugins::add);
            return this;
        }

        /** An orchestrator instance you built yourself; the engine closes it. */
        public Builder orchestrator(String name, Orchestrator orchestrator) {
            orchestrators.put(requireNonNull(name, "name is null"), requireNonNull(orchestrator, "orchestrator is null"));
            return this;
        }

        /** An orchestrator made by the plugin factory named by {@code config}'s {@code type}. */
        public Builder orchestrator(String name, Config config) {
            orchestratorConfigs.put(requireNonNull(name, "name is null"), requireNonNull(config, "config is null"));
            return this;
        }

        /** A metric source instance you built yourself, named for signals' {@code source:}; the engine closes it. */
        public Builder metricSource(String name, MetricSource source) {
            sources.put(requireNonNull(name, "name is null"), requireNonNull(source, "source is null"));
            return this;
        }

        /** A metric source made by the plugin factory named by {@code config}'s {@code type}. */
        public Builder metricSource(String name, Config config) {
            sourceConfigs.put(requireNonNull(name, "name is null"), requireNonNull(config, "config is null"));
            return this;
        }

        /** A target to scale; {@link TargetSpec#fromConfig} reads one from a config node. */
        public Builder target(TargetSpec target) {
            targets.add(requireNonNull(target, "target is null"));
            return this;
        }

        /**
         * Creates everything and validates every target. On any error, whatever was created is
         * closed again before the error is thrown.
         */
        public Zeroscale build() {
            List<AutoCloseable> resources = new ArrayList<>();
            List<AutoCloseable> owned = new ArrayList<>();
            Map<String, AlertSink> sinks = new LinkedHashMap<>(alertSinks);
            EngineEvents events = new EngineEvents();
            // A store made here, closed again when building fails (once built, the engine closes it).
            List<StateStore> madeStore = new ArrayList<>(1);
            try {
                Scheduler effective = scheduler;
                java.util.concurrent.Executor dispatcher;
                java.util.concurrent.Executor blocking;
                if (virtualScheduler != null) {
                    // The same object virtualTime() stored in scheduler, named so its non-nullness shows.
                    effective = virtualScheduler;
                    dispatcher = virtualScheduler.executor();
                    blocking = virtualScheduler.executor();
                } else {
                    if (effective == null) {
                        SystemScheduler system = new SystemScheduler();
                        resources.add(system);
                        effective = system;
                    }
                    // First of all: a second daemon on this directory must touch nothing (it would adopt
                    // the first one's processes). Closed last, after the engine saved its state.
                    resources.add(DataDirectoryLock.acquire(dataDirectory, effective.clock()));
                    ExecutorService virtualThreads = Executors.newVirtualThreadPerTaskExecutor();
                    resources.add(virtualThreads::shutdownNow);
                    dispatcher = virtualThreads;
                    blocking = virtualThreads;
                }
                Map<String, AutomatonFactory> automata = new LinkedHashMap<>();
                Map<String, OrchestratorFactory> orchestratorFactories = new LinkedHashMap<>();
                Map<String, MetricSourceFactory> sourceFactories = new LinkedHashMap<>();
                Map<String, LeadershipFactory> leadershipFactories = new LinkedHashMap<>();
                Map<String, AlertSinkFactory> sinkFactories = new LinkedHashMap<>();
                Map<String, TrafficHubFactory> hubFactories = new LinkedHashMap<>();
                Map<String, StateStoreFactory> storeFactories = new LinkedHashMap<>();
                for (Plugin plugin : plugins) {
                    plugin.stateStoreFactories().forEach(factory -> storeFactories.putIfAbsent(factory.type(), factory));
                    plugin.trafficHubFactories().forEach(factory -> hubFactories.putIfAbsent(factory.type(), factory));
                    plugin.alertSinkFactories().forEach(factory -> sinkFactories.putIfAbsent(factory.type(), factory));
                    plugin.leadershipFactories().forEach(factory -> leadershipFactories.putIfAbsent(factory.type(), factory));
                    plugin.automatonFactories().forEach(factory -> automata.putIfAbsent(factory.type(), factory));
                    plugin.orchestratorFactories().forEach(factory -> orchestratorFactories.putIfAbsent(factory.type(), factory));
                    plugin.metricSourceFactories().forEach(factory -> sourceFactories.putIfAbsent(factory.type(), factory));
                }
                Scheduler timeSource = effective;
                java.util.concurrent.Executor blockingExecutor = blocking;
                // Every orchestrator, source and target is checked even after one fails, so a config's
                // problems are all reported at once; a target is not blamed for a broken orchestrator.
                ConfigProblems problems = new ConfigProblems();
                Map<String, Orchestrator> allOrchestrators = new LinkedHashMap<>(orchestrators);
                owned.addAll(orchestrators.values());
                Set<String> brokenOrchestrators = new TreeSet<>();
                for (Map.Entry<String, Config> entry : orchestratorConfigs.entrySet()) {
                    Config config = entry.getValue();
                    Orchestrator orchestrator = problems.attempt(() -> {
                        OrchestratorFactory factory = factory(config, orchestratorFactories);
                        return factory.create(entry.getKey(), withoutType(config),
                                context(timeSource, blockingExecutor, events, dataDirectory.resolve("orchestrators").resolve(entry.getKey())));
                    }).orElse(null);
                    if (orchestrator == null) {
                        brokenOrchestrators.add(entry.getKey());
                    } else {
                        owned.add(orchestrator);
                        allOrchestrators.put(entry.getKey(), orchestrator);
                    }
                }
                Map<String, MetricSource> allSources = new LinkedHashMap<>(sources);
                owned.addAll(sources.values());
                Set<String> brokenSources = new TreeSet<>();
                for (Map.Entry<String, Config> entry : sourceConfigs.entrySet()) {
                    Config config = entry.getValue();
                    MetricSource source = problems.attempt(() -> {
                        MetricSourceFactory factory = factory(config, sourceFactories);
                        return factory.create(entry.getKey(), withoutType(config),
                                context(timeSource, blockingExecutor, events, dataDirectory.resolve("metrics").resolve(entry.getKey())));
                    }).orElse(null);
                    if (source == null) {
                        brokenSources.add(entry.getKey());
                    } else {
                        owned.add(source);
                        allSources.put(entry.getKey(), source);
                    }
                }
                @Nullable Leadership who = leadership;
                Config whoConfig = leadershipConfig;
                if (whoConfig != null) {
                    who = problems.attempt(() -> {
                        LeadershipFactory factory = factory(whoConfig, leadershipFactories);
                        return factory.create(withoutType(whoConfig), context(timeSource, blockingExecutor, events,
                                dataDirectory.resolve("leadership").resolve(whoConfig.requireString("type"))));
                    }).orElse(null);
                }
                if (who == null) {
                    who = Leadership.always();
                } else {
                    owned.add(who);
                }
                for (Map.Entry<String, Config> entry : alertSinkConfigs.entrySet()) {
                    Config config = entry.getValue();
                    problems.attempt(() -> factory(config, sinkFactories).create(entry.getKey(), withoutType(config),
                                    context(timeSource, blockingExecutor, events, dataDirectory.resolve("alerts").resolve(entry.getKey()))))
                            .ifPresent(sink -> sinks.put(entry.getKey(), sink));
                }
                StateStore store = stateStore;
                Config storeConfig = stateStoreConfig;
                if (storeConfig != null) {
                    store = problems.attempt(() -> factory(storeConfig, storeFactories).create(withoutType(storeConfig),
                            context(timeSource, blockingExecutor, events, dataDirectory.resolve("state-store")))).orElse(null);
                } else if (store == null) {
                    store = virtualScheduler != null ? new MemoryStateStore()
                            : new FileStateStore(dataDirectory.resolve("state"), timeSource.clock());
                }
                if (store == null) {
                    problems.throwIfAny(); // the factory failed: its problem is recorded
                    throw new IllegalStateException("no state store");
                }
                madeStore.add(store);
                Engine engine = new Engine(effective, dispatcher, blocking, dataDirectory.resolve("engine"), actuation,
                        journalCapacity, openTelemetry, allOrchestrators, allSources, automata, who, trafficSettings, owned,
                        persistentHistory, store, events);
                for (TargetSpec target : targets) {
                    engine.addTarget(target, problems, brokenOrchestrators, brokenSources);
                }
                TrafficHub hub = engine;
                Config hubConfig = trafficHubConfig;
                if (hubConfig != null) {
                    hub = problems.attempt(() -> factory(hubConfig, hubFactories).create(withoutType(hubConfig),
                            context(timeSource, blockingExecutor, events, dataDirectory.resolve("traffic")), engine)).orElse(engine);
                    if (hub instanceof AutoCloseable closeable) {
                        resources.add(closeable); // calls it passes on after the engine closed are ignored
                    }
                }
                problems.throwIfAny();
                if (!sinks.isEmpty()) {
                    resources.add(new Alerting(engine, alertSettings, sinks, effective, blocking));
                    sinks.clear(); // the Alerting closes them now
                }
                return new Zeroscale(engine, hub, resources);
            } catch (RuntimeException e) {
                for (AutoCloseable resource : madeStore) {
                    closeQuietly(resource, e);
                }
                for (AutoCloseable resource : sinks.values()) {
                    closeQuietly(resource, e);
                }
                for (AutoCloseable resource : owned.reversed()) {
                    closeQuietly(resource, e);
                }
                for (AutoCloseable resource : resources.reversed()) {
                    closeQuietly(resource, e);
                }
                throw e;
            }
        }

        private static void closeQuietly(AutoCloseable resource, RuntimeException failure) {
            try {
                resource.close();
            } catch (Exception suppressed) {
                failure.addSuppressed(suppressed);
            }
        }

        /** The factory {@code config}'s {@code type} names. */
        private static <F> F factory(Config config, Map<String, F> factories) {
            String type = config.requireString("type");
            F factory = factories.get(type);
            if (factory == null) {
                throw new ZeroscaleException(NOT_FOUND, config.pathOf("type") + ": no plugin provides type '" + type
                        + "'; " + Config.didYouMean(type, factories.keySet()).map(hint -> hint + " ").orElse("")
                        + "installed types: " + new TreeSet<>(factories.keySet())
                        + ". Put the plugin's jars in plugins/<name>/ (daemon) or on the classpath (SDK).");
            }
            return factory;
        }

        private static Config withoutType(Config config) {
            Map<String, Object> rest = new LinkedHashMap<>(config.asMap());
            rest.remove("type");
            if (rest.containsKey("type")) {
                throw new ZeroscaleException(CONFIG_INVALID, config.path() + ": type is set twice");
            }
            return Config.of(config.path(), rest);
        }

        private static PluginContext context(Scheduler scheduler, java.util.concurrent.Executor blocking, EngineEvents events,
                Path dataDirectory) {
            return new PluginContext() {
                @Override
                public Scheduler scheduler() {
                    return scheduler;
                }

                @Override
                public java.util.concurrent.Executor blockingExecutor() {
                    return blocking;
                }

                @Override
                public Path dataDirectory() {
                    return dataDirectory;
                }

                @Override
                public io.zeroscale.spi.Subscription subscribe(EngineListener listener) {
                    return events.subscribe(listener);
                }
            };
        }
    }
}
