package io.zeroscale.plugin.aws;

import io.zeroscale.plugin.support.EndpointProbe;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.OrchestratorFactory;
import io.zeroscale.spi.orchestrator.Endpoint;
import java.net.URI;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.AutoScalingClientBuilder;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.Ec2ClientBuilder;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2ClientBuilder;

/**
 * Creates {@code aws-autoscaling} orchestrators. Credentials come from the SDK's default chain
 * (environment, system properties, profile, container or instance role), resolved on the first
 * call, so a daemon can start before they are in place. The clients make one attempt per call:
 * the engine's retry layer (backoff, circuit breaker) is the only one, so retries do not multiply.
 */
public final class AutoScalingOrchestratorFactory implements OrchestratorFactory {
    /** The {@code type:} that selects this factory. */
    public static final String TYPE = "aws-autoscaling";

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
     * probeAddress}'s mapping of each instance's endpoint: the seam for tests whose emulator hands
     * out private IPs where nothing listens. Null: the instance's own endpoint.
     */
    static AutoScalingOrchestrator create(String name, Config config, PluginContext context,
            @Nullable UnaryOperator<Endpoint> probeAddress) {
        AwsConfig parsed = AwsConfig.parse(config);
        Region region = region(parsed, config);
        ClientOverrideConfiguration overrides = overrides(parsed);
        SdkHttpClient http = http(parsed);
        DefaultCredentialsProvider credentials = DefaultCredentialsProvider.builder().build();
        AutoScalingClientBuilder autoScaling = AutoScalingClient.builder()
                .region(region).credentialsProvider(credentials).httpClient(http).overrideConfiguration(overrides);
        Ec2ClientBuilder ec2 = Ec2Client.builder()
                .region(region).credentialsProvider(credentials).httpClient(http).overrideConfiguration(overrides);
        ElasticLoadBalancingV2ClientBuilder elb = ElasticLoadBalancingV2Client.builder()
                .region(region).credentialsProvider(credentials).httpClient(http).overrideConfiguration(overrides);
        URI override = parsed.endpoint();
        if (override != null) {
            autoScaling.endpointOverride(override);
            ec2.endpointOverride(override);
            elb.endpointOverride(override);
        }
        AutoScalingClient autoScalingClient = autoScaling.build();
        Ec2Client ec2Client = ec2.build();
        ElasticLoadBalancingV2Client elbClient = elb.build();
        EndpointProbe probe = new EndpointProbe(context.blockingExecutor());
        InstanceProbe mapped = probe(probe, probeAddress);
        return new AutoScalingOrchestrator(name, parsed, autoScalingClient, ec2Client, elbClient, mapped, context, () -> {
            autoScalingClient.close();
            ec2Client.close();
            elbClient.close();
            http.close();
            credentials.close();
            probe.close();
        });
    }

    /** One attempt per call (throttling and outages go back to the engine, which retries), bounded by {@code timeout}. */
    static ClientOverrideConfiguration overrides(AwsConfig parsed) {
        return ClientOverrideConfiguration.builder()
                .retryStrategy(AwsRetryStrategy.doNotRetry())
                .apiCallTimeout(parsed.timeout())
                .build();
    }

    /** The JDK-based HTTP client, connection and socket bounded by {@code timeout}. */
    static SdkHttpClient http(AwsConfig parsed) {
        return UrlConnectionHttpClient.builder()
                .connectionTimeout(parsed.timeout())
                .socketTimeout(parsed.timeout())
                .build();
    }

    /** The HTTP readiness probe, through {@code probeAddress}'s mapping when a test gives one. */
    static InstanceProbe probe(EndpointProbe probe, @Nullable UnaryOperator<Endpoint> probeAddress) {
        InstanceProbe direct = InstanceProbe.http(probe);
        return probeAddress == null ? direct : (endpoint, readiness) -> direct.ready(probeAddress.apply(endpoint), readiness);
    }

    static Region region(AwsConfig parsed, Config config) {
        String region = parsed.region();
        if (region != null) {
            return Region.of(region);
        }
        try {
            return DefaultAwsRegionProviderChain.builder().build().getRegion();
        } catch (SdkClientException e) {
            throw new ZeroscaleException(StandardErrorCode.CONFIG_INVALID, config.pathOf("region")
                    + ": no region configured and none found in AWS_REGION or the AWS profile; add region: us-east-1 (or yours)", e);
        }
    }
}
