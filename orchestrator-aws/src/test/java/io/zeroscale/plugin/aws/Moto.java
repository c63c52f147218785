package io.zeroscale.plugin.aws;

import com.sun.net.httpserver.HttpServer;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.testkit.MotoPeer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ecs.EcsClient;
import software.amazon.awssdk.services.ecs.model.AssignPublicIp;
import software.amazon.awssdk.services.ecs.model.AwsVpcConfiguration;
import software.amazon.awssdk.services.ecs.model.Compatibility;
import software.amazon.awssdk.services.ecs.model.ContainerDefinition;
import software.amazon.awssdk.services.ecs.model.LaunchType;
import software.amazon.awssdk.services.ecs.model.NetworkMode;
import software.amazon.awssdk.services.ecs.model.PortMapping;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ProtocolEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetTypeEnum;

/**
 * The AWS test bed: one moto server for the test JVM (testkit's {@link MotoPeer}, stopped when the
 * JVM exits), clients that set groups and ECS services up directly in moto (not through the plugin),
 * unique names, and loopback HTTP backends standing in for instances (the reachability seam).
 */
final class Moto {
    static final String REGION = "us-east-1";
    static final int PORT = 8080;
    private static final AtomicInteger GROUPS = new AtomicInteger();
    private static @Nullable MotoPeer peer;
    private static @Nullable AutoScalingClient autoScaling;
    private static @Nullable String launchConfiguration;
    /** The ECS cluster the ECS tests' services live in. */
    static final String CLUSTER = "zeroscale-test";
    private static @Nullable EcsClient ecs;
    private static @Nullable AwsVpcConfiguration awsvpc;

    static {
        // The plugin takes credentials from the SDK's default chain; system properties are part of it.
        System.setProperty("aws.accessKeyId", "testing");
        System.setProperty("aws.secretAccessKey", "testing");
    }

    private Moto() {}

    /** The JVM's moto server, started on first use. */
    static synchronized MotoPeer peer() {
        if (peer == null) {
            try {
                Path home = Files.createTempDirectory("zeroscale-moto");
                MotoPeer started = MotoPeer.start(home);
                Runtime.getRuntime().addShutdownHook(new Thread(started::close));
                peer = started;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return peer;
    }

    /** A client straight to moto, for setting groups up and checking them. */
    static synchronized AutoScalingClient autoScaling() {
        if (autoScaling == null) {
            autoScaling = AutoScalingClient.builder().region(Region.of(REGION)).endpointOverride(URI.create(peer().url()))
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")))
                    .httpClient(UrlConnectionHttpClient.create()).build();
        }
        return autoScaling;
    }

    /** A launch configuration on one of moto's images, made once. */
    static synchronized String launchConfiguration() {
        if (launchConfiguration == null) {
            try (Ec2Client ec2 = Ec2Client.builder().region(Region.of(REGION)).endpointOverride(URI.create(peer().url()))
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")))
                    .httpClient(UrlConnectionHttpClient.create()).build()) {
                String image = ec2.describeImages().images().get(0).imageId();
                autoScaling().createLaunchConfiguration(r -> r.launchConfigurationName("zeroscale-test").imageId(image).instanceType("t3.micro"));
                launchConfiguration = "zeroscale-test";
            }
        }
        return launchConfiguration;
    }

    /** A client straight to moto's ECS, for setting services up and checking them. */
    static synchronized EcsClient ecs() {
        if (ecs == null) {
            ecs = EcsClient.builder().region(Region.of(REGION)).endpointOverride(URI.create(peer().url()))
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")))
                    .httpClient(UrlConnectionHttpClient.create()).build();
        }
        return ecs;
    }

    /**
     * The cluster {@value #CLUSTER} and the Fargate task definition {@code web} (awsvpc, one
     * container listening on {@value #PORT}), made once; the awsvpc settings on moto's default
     * subnet and security group.
     */
    private static synchronized AwsVpcConfiguration ecsSetUp() {
        if (awsvpc == null) {
            ecs().createCluster(r -> r.clusterName(CLUSTER));
            ecs().registerTaskDefinition(r -> r.family("web").networkMode(NetworkMode.AWSVPC).requiresCompatibilities(Compatibility.FARGATE)
                    .cpu("256").memory("512").containerDefinitions(ContainerDefinition.builder().name("web").memory(512)
                            .image("public.ecr.aws/nginx/nginx:latest").portMappings(PortMapping.builder().containerPort(PORT).build()).build()));
            try (Ec2Client ec2 = Ec2Client.builder().region(Region.of(REGION)).endpointOverride(URI.create(peer().url()))
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")))
                    .httpClient(UrlConnectionHttpClient.create()).build()) {
                String subnet = ec2.describeSubnets().subnets().get(0).subnetId();
                String group = ec2.describeSecurityGroups().securityGroups().get(0).groupId();
                awsvpc = AwsVpcConfiguration.builder().subnets(subnet).securityGroups(group).assignPublicIp(AssignPublicIp.DISABLED).build();
            }
        }
        return awsvpc;
    }

    /** A new Fargate service named {@code <prefix>-<n>} in {@value #CLUSTER}, at desiredCount 0. */
    static String service(String prefix) {
        String name = prefix + "-" + GROUPS.incrementAndGet();
        AwsVpcConfiguration network = ecsSetUp();
        ecs().createService(r -> r.cluster(CLUSTER).serviceName(name).taskDefinition("web").desiredCount(0).launchType(LaunchType.FARGATE)
                .networkConfiguration(n -> n.awsvpcConfiguration(network)));
        return name;
    }

    /** The workload of ECS service {@code name} of {@value #CLUSTER} on orchestrator {@code orchestrator}, with extra settings. */
    static Workload ecsWorkload(String orchestrator, String name, Map<String, ?> extra) {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("port", PORT);
        settings.putAll(extra);
        return new Workload(new TargetRef(orchestrator, "Service", CLUSTER, name), Config.of("targets." + name + ".workload", settings));
    }

    /** An aws-ecs orchestrator through {@code endpoint} (moto or a proxy in front of it), polling every 200 ms. */
    static EcsOrchestrator ecsOrchestrator(String endpoint, PluginContext context, Map<String, ?> extra,
            @Nullable UnaryOperator<Endpoint> probeAddress) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("type", "aws-ecs");
        config.put("region", REGION);
        config.put("endpoint", endpoint);
        config.put("poll-interval", "200ms");
        config.putAll(extra);
        return EcsOrchestratorFactory.create("ecs", Config.of("orchestrators.ecs", config), context, probeAddress);
    }

    /** A new group named {@code <prefix>-<n>} with no instances. */
    static String group(String prefix, int min, int max) {
        String name = prefix + "-" + GROUPS.incrementAndGet();
        String configuration = launchConfiguration();
        autoScaling().createAutoScalingGroup(r -> r.autoScalingGroupName(name).launchConfigurationName(configuration)
                .minSize(min).maxSize(max).desiredCapacity(min).availabilityZones(REGION + "a"));
        return name;
    }

    /**
     * A new group named {@code <prefix>-<n>} with no instances, attached to a new ELBv2 target group
     * (instance targets, port {@value #PORT}): moto registers the group's instances in it. Returns
     * the group's name and the target group's ARN.
     */
    static Map.Entry<String, String> groupInTargetGroup(String prefix, int min, int max) {
        String name = prefix + "-" + GROUPS.incrementAndGet();
        String configuration = launchConfiguration();
        String arn;
        try (Ec2Client ec2 = Ec2Client.builder().region(Region.of(REGION)).endpointOverride(URI.create(peer().url()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")))
                .httpClient(UrlConnectionHttpClient.create()).build();
                ElasticLoadBalancingV2Client elb = ElasticLoadBalancingV2Client.builder().region(Region.of(REGION))
                        .endpointOverride(URI.create(peer().url()))
                        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")))
                        .httpClient(UrlConnectionHttpClient.create()).build()) {
            String vpc = ec2.describeVpcs().vpcs().get(0).vpcId();
            arn = elb.createTargetGroup(r -> r.name(name).protocol(ProtocolEnum.HTTP).port(PORT).vpcId(vpc)
                    .targetType(TargetTypeEnum.INSTANCE)).targetGroups().get(0).targetGroupArn();
        }
        autoScaling().createAutoScalingGroup(r -> r.autoScalingGroupName(name).launchConfigurationName(configuration)
                .minSize(min).maxSize(max).desiredCapacity(min).availabilityZones(REGION + "a").targetGroupARNs(arn));
        return Map.entry(name, arn);
    }

    /** The target of group {@code name} on the orchestrator named {@code aws}. */
    static TargetRef groupRef(String name) {
        return TargetRef.of("aws", "AutoScalingGroup", name);
    }

    /** The group as moto has it now (straight to moto, not through a proxy). */
    static AutoScalingGroup describeGroup(String name) {
        return autoScaling().describeAutoScalingGroups(r -> r.autoScalingGroupNames(name)).autoScalingGroups().get(0);
    }

    /** The workload of group {@code name} on orchestrator {@code orchestrator}, with extra settings. */
    static Workload workload(String orchestrator, String name, Map<String, ?> extra) {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("port", PORT);
        settings.putAll(extra);
        return new Workload(TargetRef.of(orchestrator, "AutoScalingGroup", name), Config.of("targets." + name + ".workload", settings));
    }

    /** An orchestrator through {@code endpoint} (moto or a proxy in front of it), polling every 200 ms. */
    static AutoScalingOrchestrator orchestrator(String endpoint, PluginContext context, Map<String, ?> extra,
            @Nullable UnaryOperator<Endpoint> probeAddress) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("type", "aws-autoscaling");
        config.put("region", REGION);
        config.put("endpoint", endpoint);
        config.put("poll-interval", "200ms");
        config.putAll(extra);
        return AutoScalingOrchestratorFactory.create("aws", Config.of("orchestrators.aws", config), context, probeAddress);
    }

    /**
     * Loopback HTTP servers standing in for instances: the first time an instance's private IP is
     * asked for, a server is started on a free loopback port that answers every GET with 200 and
     * the IP. The reachability seam: moto's addresses route nowhere.
     */
    static final class Backends implements AutoCloseable {
        private final Map<String, HttpServer> servers = new ConcurrentHashMap<>();

        Endpoint reachable(Endpoint endpoint) {
            HttpServer server = servers.computeIfAbsent(endpoint.host(), ip -> {
                try {
                    HttpServer started = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
                    byte[] body = ("instance " + ip + "\n").getBytes(StandardCharsets.UTF_8);
                    started.createContext("/", exchange -> {
                        try (exchange) {
                            exchange.sendResponseHeaders(200, body.length);
                            exchange.getResponseBody().write(body);
                        }
                    });
                    started.start();
                    return started;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            return new Endpoint("127.0.0.1", server.getAddress().getPort());
        }

        /** Stops the stand-in of {@code ip}: it refuses connections from now on. */
        void stop(String ip) {
            HttpServer server = servers.get(ip);
            if (server != null) {
                server.stop(0);
            }
        }

        @Override
        public void close() {
            servers.values().forEach(server -> server.stop(0));
            servers.clear();
        }
    }
}
