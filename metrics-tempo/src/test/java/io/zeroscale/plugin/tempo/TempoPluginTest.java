package io.zeroscale.plugin.tempo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.zeroscale.spi.Plugin;
import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.spi.metrics.MetricSourceFactory;
import io.zeroscale.testkit.TestPluginContext;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class TempoPluginTest {
    @Test
    void serviceLoaderFindsThePluginAndItsTempoFactory() {
        List<Plugin> plugins = ServiceLoader.load(Plugin.class).stream().map(ServiceLoader.Provider::get).toList();

        assertThat(plugins).hasExactlyElementsOfTypes(TempoPlugin.class);
        assertThat(plugins.getFirst().metricSourceFactories()).extracting(MetricSourceFactory::type).containsExactly("tempo");
        assertThat(plugins.getFirst().orchestratorFactories()).isEmpty();
        assertThat(plugins.getFirst().automatonFactories()).isEmpty();
    }

    @Test
    void createDoesNotContactTheServerAndCloseIsIdempotent() {
        MetricSource source = new TempoMetricSourceFactory().create("tempo",
                TestData.sourceConfig(Map.of("type", "tempo", "url", "http://127.0.0.1:9")), TestPluginContext.at(TestData.NOW));

        assertThat(source.toString()).contains("tempo", "http://127.0.0.1:9");
        assertThatCode(() -> {
            source.close();
            source.close();
        }).doesNotThrowAnyException();
    }
}
