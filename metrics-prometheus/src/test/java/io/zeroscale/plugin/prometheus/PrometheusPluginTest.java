package io.zeroscale.plugin.prometheus;

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

class PrometheusPluginTest {
    @Test
    void serviceLoaderFindsThePluginAndItsPrometheusFactory() {
        List<Plugin> plugins = ServiceLoader.load(Plugin.class).stream().map(ServiceLoader.Provider::get).toList();

        assertThat(plugins).hasExactlyElementsOfTypes(PrometheusPlugin.class);
        assertThat(plugins.getFirst().metricSourceFactories()).extracting(MetricSourceFactory::type)
                .containsExactly("prometheus");
        assertThat(plugins.getFirst().orchestratorFactories()).isEmpty();
        assertThat(plugins.getFirst().automatonFactories()).isEmpty();
    }

    @Test
    void createDoesNotContactTheServerAndCloseIsIdempotent() {
        MetricSource source = new PrometheusMetricSourceFactory().create("prom",
                TestData.sourceConfig(Map.of("type", "prometheus", "url", "http://127.0.0.1:9")), TestPluginContext.at(TestData.NOW));

        assertThat(source.toString()).contains("prom", "http://127.0.0.1:9");
        assertThatCode(() -> {
            source.close();
            source.close();
        }).doesNotThrowAnyException();
    }
}
