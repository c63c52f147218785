package io.zeroscale.daemon.cli;

import io.zeroscale.daemon.Daemon;
import io.zeroscale.daemon.Plugins;
import io.zeroscale.daemon.config.DaemonConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code zeroscale validate}: everything {@code run} checks, without starting anything. */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = {"Checks a config file: its structure against the JSON Schema, ${ENV} variables, plugin types,",
            "each plugin's own keys, workloads and policies (CEL expressions included). Starts nothing."})
final class ValidateCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        DaemonConfig config = options.load();
        try (Plugins plugins = options.loadPlugins()) {
            Daemon.validate(config, plugins);
        }
        spec.commandLine().getOut().printf("%s: valid (%d orchestrator(s), %d metric source(s), %d target(s))%n",
                options.requireConfig(), config.orchestrators().size(), config.metrics().size(), config.targets().size());
        return 0;
    }
}
