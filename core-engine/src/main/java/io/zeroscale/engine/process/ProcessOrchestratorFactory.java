package io.zeroscale.engine.process;

import static io.zeroscale.spi.StandardErrorCode.ORCHESTRATOR_UNAVAILABLE;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.orchestrator.OrchestratorFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * Creates {@code process} orchestrators, which run workloads as local processes. Config keys:
 * {@code host} (default {@code 127.0.0.1}), the address replicas serve on and are probed at.
 */
public final class ProcessOrchestratorFactory implements OrchestratorFactory {
    /** The {@code type:} that selects this factory. */
    public static final String TYPE = "process";

    private static final Set<String> KEYS = Set.of("type", "host");

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public ProcessOrchestrator create(String name, Config config, PluginContext context) {
        config.requireOnlyKeys(KEYS);
        String host = config.string("host", "127.0.0.1").trim();
        if (host.isEmpty()) {
            throw config.invalid("host", "must not be blank; give the address replicas listen on, e.g. 127.0.0.1");
        }
        Path dataDirectory = context.dataDirectory();
        try {
            Files.createDirectories(dataDirectory);
        } catch (IOException e) {
            throw new ZeroscaleException(
                    ORCHESTRATOR_UNAVAILABLE,
                    "orchestrator '" + name + "': cannot create its data directory " + dataDirectory + " (" + e
                            + "); make it writable for the daemon",
                    e);
        }
        return new ProcessOrchestrator(name, host, context);
    }
}
