package io.zeroscale.daemon.testplugin;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.Plugin;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.OrchestratorFactory;
import java.util.List;

/** A plugin that PluginsTest packs into a jar in a plugins/ folder, as a user would drop one in. */
public final class TestPlugin implements Plugin {
    @Override
    public List<OrchestratorFactory> orchestratorFactories() {
        return List.of(new OrchestratorFactory() {
            @Override
            public String type() {
                return "dropped-in";
            }

            @Override
            public Orchestrator create(String name, Config config, PluginContext context) {
                throw new ZeroscaleException(StandardErrorCode.CONFIG_INVALID, config.path() + ": created by the dropped-in plugin");
            }
        });
    }
}
