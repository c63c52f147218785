package io.zeroscale.daemon.cli;

import io.zeroscale.daemon.Daemon;
import io.zeroscale.daemon.LogFormat;
import io.zeroscale.daemon.Plugins;
import io.zeroscale.daemon.config.DaemonConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code zeroscale run}: the daemon, in the foreground, until SIGTERM or Ctrl-C. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Runs the daemon in the foreground until SIGTERM or Ctrl-C.",
            "On shutdown it stops accepting, lets in-flight requests finish and leaves every workload as it is."})
final class RunCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    // The launcher's ahead-of-time cache training run (bin/zeroscale): start as `run` does, then
    // stop as SIGTERM would, so the JVM records the classes a start loads. Not for users.
    @Option(names = "--exit-when-ready", hidden = true)
    boolean exitWhenReady;

    @Override
    public Integer call() throws Exception {
        DaemonConfig config = options.load();
        LogFormat.apply(config.telemetry().jsonLogs());
        Plugins plugins = options.loadPlugins();
        Daemon daemon;
        try {
            daemon = Daemon.create(config, plugins);
        } catch (RuntimeException e) {
            plugins.close();
            throw e;
        }
        daemon.reloadFrom(options.requireConfig(), options.overrides);
        Thread hook = new Thread(daemon::stop, "zeroscale-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        daemon.start();
        if (exitWhenReady) {
            daemon.stop();
        }
        daemon.awaitStopped();
        return 0;
    }
}
