package io.zeroscale.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.zeroscale.daemon.Plugins;
import io.zeroscale.engine.TargetSpec;
import io.zeroscale.engine.TargetStatus;
import io.zeroscale.engine.Zeroscale;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.Plugin;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.testkit.AwsTestProxy;
import io.zeroscale.testkit.MotoPeer;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ecs.EcsClient;
import software.amazon.awssdk.services.ecs.model.AssignPublicIp;
import software.amazon.awssdk.services.ecs.model.AwsVpcConfiguration;
import software.amazon.awssdk.services.ecs.model.Compatibility;
import software.amazon.awssdk.services.ecs.model.ContainerDefinition;
import software.amazon.awssdk.services.ecs.model.LaunchType;
import software.amazon.awssdk.services.ecs.model.NetworkMode;
import software.amazon.awssdk.services.ecs.model.PortMapping;

/**
 * The real engine over the aws-ecs orchestrator as the daemon loads it (from the distribution's
 * plugins/aws/), against moto (testkit's {@link MotoPeer}) through testkit's {@link AwsTestProxy},
 * which plays ECS's service scheduler and gives tasks a boot time: an operator override of 2 and a
 * held request wake a Fargate service 0→2, the engine seen WAKING while the tasks are PENDING, and
 * idling brings it back to 0 with the observed state following.
 */
class EcsEngineIT {
    private static final String REGION = "us-east-1";
    private static final String CLUSTER = "shop";

    @TempDir
    Path home;

    private MotoPeer moto;
    private EcsClient ecs;
    private AwsTestProxy proxy;
    private Plugins plugins;

    static {
        // The plugin takes credentials from the SDK's default chain; system properties are part of it.
        System.setProperty("aws.accessKeyId", "testing");
        System.setProperty("aws.secretAccessKey", "testing");
    }

    @BeforeEach
    void start() {
        moto = MotoPeer.start(home.resolve("moto"));
        ecs = EcsClient.builder().region(Region.of(REGION)).endpointOverride(URI.create(moto.url()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")))
                .httpClient(UrlConnectionHttpClient.create()).build();
        proxy = AwsTestProxy.start(moto.url());
        plugins = Distribution.loadPlugins();
    }

    @AfterEach
    void stop() {
        try {
            proxy.close();
            ecs.close();
            plugins.close();
        } finally {
            moto.close();
        }
    }

    /** A Fargate service {@code web} at desiredCount 0, awsvpc on moto's default subnet and security group. */
    private void service() {
        ecs.createCluster(r -> r.clusterName(CLUSTER));
        ecs.registerTaskDefinition(r -> r.family("web").networkMode(NetworkMode.AWSVPC).requiresCompatibilities(Compatibility.FARGATE)
                .cpu("256").memory("512").containerDefinitions(ContainerDefinition.builder().name("web").memory(512)
                        .image("public.ecr.aws/nginx/nginx:latest").portMappings(PortMapping.builder().containerPort(8080).build()).build()));
        AwsVpcConfiguration network;
        try (Ec2Client ec2 = Ec2Client.builder().region(Region.of(REGION)).endpointOverride(URI.create(moto.url()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")))
                .httpClient(UrlConnectionHttpClient.create()).build()) {
            network = AwsVpcConfiguration.builder().subnets(ec2.describeSubnets().subnets().get(0).subnetId())
                    .securityGroups(ec2.describeSecurityGroups().securityGroups().get(0).groupId()).assignPublicIp(AssignPublicIp.DISABLED).build();
        }
        ecs.createService(r -> r.cluster(CLUSTER).serviceName("web").taskDefinition("web").desiredCount(0).launchType(LaunchType.FARGATE)
                .networkConfiguration(n -> n.awsvpcConfiguration(network)));
    }

    private Plugin awsPlugin() {
        return plugins.found().stream().filter(found -> found.plugin().getClass().getName().equals("io.zeroscale.plugin.aws.AwsPlugin"))
                .map(Plugins.Found::plugin).findFirst().orElseThrow(() -> new AssertionError("no aws plugin in " + Distribution.plugins()));
    }

    @Test
    void aHeldRequestWakesTheServiceFromZeroToTwoAndIdlingBringsItBackToZero() {
        service();
        proxy.pendingFor(Duration.ofSeconds(2));
        Config orchestrator = Config.of("orchestrators.ecs", Map.of("type", "aws-ecs", "region", REGION,
                "endpoint", proxy.url(), "poll-interval", "200ms"));
        TargetSpec target = TargetSpec.fromConfig("web", Config.of("targets.web", Map.of(
                "orchestrator", "ecs",
                "workload", Map.of("kind", "Service", "namespace", CLUSTER, "name", "web", "port", 8080),
                "policy", Map.of("automaton", "zero-to-n", "idle", "1s", "drain-timeout", "1s", "wake-timeout", "2m",
                        "replicas", Map.of("min", 0, "max", 2)))));
        try (Zeroscale zeroscale = Zeroscale.builder().dataDirectory(home.resolve("data")).plugin(awsPlugin())
                .orchestrator("ecs", orchestrator).target(target).build().start()) {
            List<TargetStatus> seen = new CopyOnWriteArrayList<>();
            await("started at ZERO").atMost(Duration.ofSeconds(30))
                    .until(() -> record(zeroscale, seen), s -> s.started() && s.state().equals("ZERO"));

            zeroscale.engine().setOverride("web", 2, null, "test");
            zeroscale.trafficHub().report("test-gateway", zeroscale.status("web").orElseThrow().ref(), new RequestStats(1, 0, 1, 0, 0));

            TargetStatus active = await("ACTIVE with 2 ready tasks").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                    .until(() -> record(zeroscale, seen), s -> s.state().equals("ACTIVE") && s.readyReplicas() == 2);
            assertThat(active.backendDesiredReplicas()).isEqualTo(2);
            assertThat(seen).as("WAKING while the tasks were PENDING (launched, not ready)").anySatisfy(s -> {
                assertThat(s.state()).isEqualTo("WAKING");
                assertThat(s.observedReplicas()).isPositive();
                assertThat(s.readyReplicas()).isZero();
            });
            assertThat(ecs.describeServices(r -> r.cluster(CLUSTER).services("web")).services().get(0).desiredCount()).isEqualTo(2);

            zeroscale.engine().setOverride("web", null, null, "test");
            TargetStatus back = await("back to ZERO with no task").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        zeroscale.trafficHub().report("test-gateway", active.ref(), new RequestStats(0, 0, 1, 1, 0.01));
                        return record(zeroscale, seen);
                    }, s -> s.state().equals("ZERO") && s.observedReplicas() == 0 && s.backendDesiredReplicas() == 0);
            assertThat(back.readyReplicas()).isZero();
            assertThat(seen).extracting(TargetStatus::state).containsSubsequence("ZERO", "WAKING", "ACTIVE", "DRAINING", "ZERO");
            assertThat(seen).extracting(TargetStatus::backendDesiredReplicas).as("the service's desiredCount, as observed")
                    .containsSubsequence(0, 2, 0);
            assertThat(ecs.describeServices(r -> r.cluster(CLUSTER).services("web")).services().get(0).desiredCount()).isZero();
        }
    }

    private static TargetStatus record(Zeroscale zeroscale, List<TargetStatus> seen) {
        TargetStatus status = zeroscale.status("web").orElseThrow();
        if (seen.isEmpty() || !same(seen.get(seen.size() - 1), status)) {
            seen.add(status);
        }
        return status;
    }

    private static boolean same(TargetStatus a, TargetStatus b) {
        return a.state().equals(b.state()) && a.observedReplicas() == b.observedReplicas() && a.readyReplicas() == b.readyReplicas()
                && a.backendDesiredReplicas() == b.backendDesiredReplicas();
    }
}
