package io.zeroscale.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.daemon.config.ConfigLoader;
import io.zeroscale.daemon.config.DaemonConfig;
import io.zeroscale.daemon.testplugin.TestPlugin;
import io.zeroscale.spi.Plugin;
import io.zeroscale.spi.ZeroscaleException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A plugin dropped into plugins/<name>/ is found, in a class loader of its own, sharing the SPI. */
class PluginsTest {
    @TempDir
    Path plugins;

    @Test
    void aDroppedInPluginIsLoadedInItsOwnClassLoader() throws IOException {
        Path folder = Files.createDirectories(plugins.resolve("dropped"));
        PluginJars.write(folder.resolve("dropped-plugin.jar"), TestPlugin.class);
        Files.createDirectories(plugins.resolve("empty"));

        try (Plugins loaded = Plugins.load(plugins)) {
            assertThat(loaded.found()).singleElement().satisfies(found -> {
                Plugin plugin = found.plugin();
                assertThat(found.origin()).isEqualTo(folder.toString());
                assertThat(plugin.getClass().getName()).isEqualTo(TestPlugin.class.getName());
                // Its own copy of the class, but the daemon's SPI interface.
                assertThat(plugin.getClass()).isNotSameAs(TestPlugin.class);
                assertThat(plugin.getClass().getClassLoader().getName()).isEqualTo("plugin-dropped");
                assertThat(plugin.orchestratorFactories()).singleElement()
                        .satisfies(factory -> assertThat(factory.type()).isEqualTo("dropped-in"));
            });

            String yaml = """
                    orchestrators:
                      local: { type: kubernetes }
                    targets:
                      hello: { orchestrator: local, workload: { kind: Process } }
                    """;
            DaemonConfig config = new ConfigLoader(Map.<String, String>of()::get).parse(yaml, "t.yaml", plugins, Map.of());
            assertThatThrownBy(() -> Daemon.validate(config, loaded))
                    .isInstanceOf(ZeroscaleException.class)
                    .hasMessage("orchestrators.local.type: no plugin provides type 'kubernetes'; installed types: [dropped-in,"
                            + " process]. Put the plugin's jars in plugins/<name>/ (daemon) or on the classpath (SDK).");
            DaemonConfig dropped = new ConfigLoader(Map.<String, String>of()::get)
                    .parse(yaml.replace("kubernetes", "dropped-in"), "t.yaml", plugins, Map.of());
            assertThatThrownBy(() -> Daemon.validate(dropped, loaded)).hasMessage("orchestrators.local: created by the dropped-in plugin");
        }
    }

    @Test
    void withoutAPluginsFolderOnlyTheClassPathCounts() {
        try (Plugins loaded = Plugins.load(plugins.resolve("missing"))) {
            assertThat(loaded.found()).isEmpty();
        }
    }
}
