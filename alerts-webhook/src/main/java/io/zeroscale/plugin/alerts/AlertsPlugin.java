package io.zeroscale.plugin.alerts;

import io.zeroscale.spi.Plugin;
import io.zeroscale.spi.alert.AlertSinkFactory;
import java.util.List;

/** Provides the {@code webhook} and {@code alertmanager} alert sink types. */
public final class AlertsPlugin implements Plugin {
    @Override
    public List<AlertSinkFactory> alertSinkFactories() {
        return List.of(new WebhookSink.Factory(), new AlertmanagerSink.Factory());
    }
}
