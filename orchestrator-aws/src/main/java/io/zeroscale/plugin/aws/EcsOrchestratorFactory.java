package io.zeroscale.plugin.aws;

import io.zeroscale.plugin.support.EndpointProbe;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.OrchestratorFactory;
import java.net.URI;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.services.ecs.EcsClient;
import software.amazon.awssdk.services.ecs.EcsClientBuilder;

/**
 * Creates {@code aws-ecs} orchestrators, with the same settings, credentials chain and single
 * retry layer as {@link AutoScalingOrchestratorFactory} (the SDK makes one attempt per call).
 */
public final class EcsOrchestratorFactory implements OrchestratorFactory {
    /** The {@code type:} that selects this factory. */
    public static final String TYPE = "aws-ecs";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Orchestrator create(String name, Config config, PluginContext context) {
        return create(name, config, context, null);
    }

    /**
     * As {@link #create(String, Config, PluginContext)}, with the readiness probe sent to {@code
     * probeAddress}'s mapping of each task's endpoint: the seam for tests whose emulator hands out
     * private IPs where nothing listens. Null: the task's own endpoint.
     */
    static EcsOrchestrator create(String name, Config config, PluginContext context, @Nullable UnaryOperator<Endpoint> probeAddress) {
        AwsConfig parsed = AwsConfig.parse(config);
        SdkHttpClient http = AutoScalingOrchestratorFactory.http(parsed);
        DefaultCredentialsProvider credentials = DefaultCredentialsProvider.builder().build();
        EcsClientBuilder builder = EcsClient.builder().region(AutoScalingOrchestratorFactory.region(parsed, config))
                .credentialsProvider(credentials).httpClient(http).overrideConfiguration(AutoScalingOrchestratorFactory.overrides(parsed));
        URI override = parsed.endpoint();
        if (override != null) {
            builder.endpointOverride(override);
        }
        EcsClient ecs = builder.build();
        EndpointProbe probe = new EndpointProbe(context.blockingExecutor());
        return new EcsOrchestrator(name, parsed, ecs, AutoScalingOrchestratorFactory.probe(probe, probeAddress), context, () -> {
            ecs.close();
            http.close();
            credentials.close();
            probe.close();
        });
    }
}
