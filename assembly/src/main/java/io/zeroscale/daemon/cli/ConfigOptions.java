package io.zeroscale.daemon.cli;

import static io.zeroscale.spi.StandardErrorCode.NOT_FOUND;

import io.zeroscale.daemon.Daemon;
import io.zeroscale.daemon.Plugins;
import io.zeroscale.daemon.config.ConfigLoader;
import io.zeroscale.daemon.config.DaemonConfig;
import io.zeroscale.engine.TargetSpec;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.ConfigProblems;
import io.zeroscale.spi.ZeroscaleException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/** The options every command that reads a config file shares. */
final class ConfigOptions {
    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "The config file (YAML).")
    @Nullable Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = {
        "Overrides one config value by its dotted path, as YAML, before ${ENV} substitution and validation;",
        "repeatable. E.g. --set gateway.listen=127.0.0.1:9090 --set targets.hello.policy.idle=10s"})
    Map<String, String> overrides = new LinkedHashMap<>();

    @Option(names = "--plugins", paramLabel = "DIR", description = {
        "The plugins folder: each subfolder's jars get their own class loader.",
        "Default: plugins/ of the distribution (${DEFAULT-VALUE})."},
            defaultValue = "${sys:zeroscale.home:-.}/plugins")
    @Nullable Path plugins;

    /**
     * Reads the config. When it has problems, the engine's checks (plugin types, references
     * between sections, each plugin's and policy's settings) still run on what could be read, so
     * one run reports every problem of the file.
     *
     * @throws ZeroscaleException naming every problem's path and fix
     */
    DaemonConfig load() {
        ConfigProblems problems = new ConfigProblems();
        DaemonConfig config = ConfigLoader.fromEnvironment().load(requireConfig(), overrides, problems);
        if (!problems.isEmpty()) {
            try (Plugins all = loadPlugins()) {
                problems.check(() -> Daemon.validate(config, all));
            }
            problems.throwIfAny();
        }
        return config;
    }

    Path requireConfig() {
        if (config == null) {
            throw new IllegalStateException("--config is required");
        }
        return config;
    }

    /**
     * The target {@code name} of {@code config}.
     *
     * @throws ZeroscaleException naming --target and the targets the config has
     */
    TargetSpec target(DaemonConfig config, String name) {
        return config.target(name).orElseThrow(() -> new ZeroscaleException(NOT_FOUND, "--target: no target named '" + name + "' in "
                + requireConfig() + "; " + Config.suggestion(name,
                        config.targets().stream().map(TargetSpec::name).collect(Collectors.toSet()), "targets are")));
    }

    Plugins loadPlugins() {
        return Plugins.load(plugins != null && Files.isDirectory(plugins) ? plugins : null);
    }
}
