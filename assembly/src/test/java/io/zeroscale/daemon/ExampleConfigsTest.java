package io.zeroscale.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.daemon.config.ConfigLoader;
import io.zeroscale.daemon.config.DaemonConfig;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The configs users copy from (the distribution's etc/ and the quickstart) stay valid. */
class ExampleConfigsTest {
    @ParameterizedTest
    @ValueSource(strings = {"src/dist/etc/quickstart.yaml", "src/dist/etc/zeroscale.yaml", "../samples/quickstart/zeroscale.yaml"})
    void validates(String file) {
        DaemonConfig config = new ConfigLoader(Map.<String, String>of()::get).load(Path.of(file), Map.of());
        try (Plugins plugins = Plugins.load(null)) {
            Daemon.validate(config, plugins);
        }
        assertThat(config.targets()).isNotEmpty();
        assertThat(config.routes()).hasSameSizeAs(config.targets());
    }
}
