package io.zeroscale.engine;

import static io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID;
import static io.zeroscale.spi.StandardErrorCode.NOT_FOUND;
import static java.util.Objects.requireNonNull;

import io.opentelemetry.api.OpenTelemetry;
import io.zeroscale.engine.time.SystemScheduler;
import io.zeroscale.engine.time.VirtualScheduler;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.Plugin;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.automaton.AutomatonFactory;
import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.spi.metrics.MetricSourceFactory;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.OrchestratorFactory;
import io.zeroscale.spi.traffic.TrafficHub;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jspecify.annotations.Nullable;

/**
 * The SDK entry point: everything the daemon does, in your own process.
 *
 * <pre>{@code
 * try (Zeroscale zeroscale = Zeroscale.builder()
 *         .orchestrator("local", "process", Config.empty("orchestrators.local"))
 *         .target(TargetSpec.fromConfig("backend", backendConfig))
 *         .build()) {
 *     zeroscale.start();
 *     gateway.connect(zeroscale.trafficHub());
 * }
 * }</pre>
 *
 * {@link #close()} stops the engine cleanly and leaves every workload as it is.
 */
public final class Zeroscale implements AutoCloseable {
    private final Engine engine;
    private final List<AutoCloseable> resources;

    private Zeroscale(Engine engine, List<AutoCloseable> resources) {
        this.engine = engine;
        this.resources = resources;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Observes every target and starts its policy. */
    public Zeroscale start() {
        engine.start();
        return this;
    }

    public Engine engine() {
        return engine;
    }

    /** What a gateway connects to: request signals in, routes out. */
    public TrafficHub trafficHub() {
        return engine;
    }

    public Journal journal() {
        return engine.journal();
    }

    public List<TargetStatus> statuses() {
        return engine.statuses();
    }

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
        private final List<Plugin> plugins = new ArrayList<>(List.of(new BuiltinPlugin()));
        private final Map<String, Orchestrator> orchestrators = new LinkedHashMap<>();
        private final Map<String, Config> orchestratorConfigs = new LinkedHashMap<>();
        private final Map<String, MetricSource> sources = new LinkedHashMap<>();
        private final Map<String, Config> sourceConfigs = new LinkedHashMap<>();
        private final List<TargetSpec> targets = new ArrayList<>();

        private Builder() {}

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

        /** Where plugins keep state across restarts (default {@code ./.zeroscale}). */
        public Builder dataDirectory(Path dataDirectory) {
            this.dataDirectory = requireNonNull(dataDirectory, "dataDirectory is null");
            return this;
        }

        public Builder openTelemetry(OpenTelemetry openTelemetry) {
            this.openTelemetry = requireNonNull(openTelemetry, "openTelemetry is null");
            return this;
        }

        public Builder actuation(ActuationSettings actuation) {
            this.actuation = requireNonNull(actuation, "actuation is null");
            return this;
        }

        public Builder journalCapacity(int journalCapacity) {
            this.journalCapacity = journalCapacity;
            return this;
        }

        public Builder plugin(Plugin plugin) {
            plugins.add(requireNonNull(plugin, "plugin is null"));
            return this;
        }

        /** Adds every {@link Plugin} that {@link ServiceLoader} finds through {@code loader}. */
        public Builder pluginsFrom(ClassLoader loader) {
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

        public Builder metricSource(String name, MetricSource source) {
            sources.put(requireNonNull(name, "name is null"), requireNonNull(source, "source is null"));
            return this;
        }

        public Builder metricSource(String name, Config config) {
            sourceConfigs.put(requireNonNull(name, "name is null"), requireNonNull(config, "config is null"));
            return this;
        }

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
                    ExecutorService virtualThreads = Executors.newVirtualThreadPerTaskExecutor();
                    resources.add(virtualThreads::shutdownNow);
                    dispatcher = virtualThreads;
                    blocking = virtualThreads;
                }
                Map<String, AutomatonFactory> automata = new LinkedHashMap<>();
                Map<String, OrchestratorFactory> orchestratorFactories = new LinkedHashMap<>();
                Map<String, MetricSourceFactory> sourceFactories = new LinkedHashMap<>();
                for (Plugin plugin : plugins) {
                    plugin.automatonFactories().forEach(factory -> automata.putIfAbsent(factory.type(), factory));
                    plugin.orchestratorFactories().forEach(factory -> orchestratorFactories.putIfAbsent(factory.type(), factory));
                    plugin.metricSourceFactories().forEach(factory -> sourceFactories.putIfAbsent(factory.type(), factory));
                }
                Scheduler timeSource = effective;
                java.util.concurrent.Executor blockingExecutor = blocking;
                Map<String, Orchestrator> allOrchestrators = new LinkedHashMap<>(orchestrators);
                owned.addAll(orchestrators.values());
                for (Map.Entry<String, Config> entry : orchestratorConfigs.entrySet()) {
                    Config config = entry.getValue();
                    String type = config.requireString("type");
                    OrchestratorFactory factory = orchestratorFactories.get(type);
                    if (factory == null) {
                        throw unknownType(config, type, orchestratorFactories.keySet());
                    }
                    Orchestrator orchestrator = factory.create(entry.getKey(), withoutType(config),
                            context(timeSource, blockingExecutor, dataDirectory.resolve("orchestrators").resolve(entry.getKey())));
                    owned.add(orchestrator);
                    allOrchestrators.put(entry.getKey(), orchestrator);
                }
                Map<String, MetricSource> allSources = new LinkedHashMap<>(sources);
                owned.addAll(sources.values());
                for (Map.Entry<String, Config> entry : sourceConfigs.entrySet()) {
                    Config config = entry.getValue();
                    String type = config.requireString("type");
                    MetricSourceFactory factory = sourceFactories.get(type);
                    if (factory == null) {
                        throw unknownType(config, type, sourceFactories.keySet());
                    }
                    MetricSource source = factory.create(entry.getKey(), withoutType(config),
                            context(timeSource, blockingExecutor, dataDirectory.resolve("metrics").resolve(entry.getKey())));
                    owned.add(source);
                    allSources.put(entry.getKey(), source);
                }
                Engine engine = new Engine(effective, dispatcher, blocking, dataDirectory.resolve("engine"), actuation,
                        journalCapacity, openTelemetry, allOrchestrators, allSources, automata, owned);
                for (TargetSpec target : targets) {
                    engine.addTarget(target);
                }
                return new Zeroscale(engine, resources);
            } catch (RuntimeException e) {
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

        private static ZeroscaleException unknownType(Config config, String type, java.util.Set<String> installed) {
            return new ZeroscaleException(NOT_FOUND, config.pathOf("type") + ": no plugin provides type '" + type
                    + "'; installed types: " + new TreeSet<>(installed)
                    + ". Put the plugin's jars in plugins/<name>/ (daemon) or on the classpath (SDK).");
        }

        private static Config withoutType(Config config) {
            Map<String, Object> rest = new LinkedHashMap<>(config.asMap());
            rest.remove("type");
            if (rest.containsKey("type")) {
                throw new ZeroscaleException(CONFIG_INVALID, config.path() + ": type is set twice");
            }
            return Config.of(config.path(), rest);
        }

        private static PluginContext context(Scheduler scheduler, java.util.concurrent.Executor blocking, Path dataDirectory) {
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
            };
        }
    }
}
