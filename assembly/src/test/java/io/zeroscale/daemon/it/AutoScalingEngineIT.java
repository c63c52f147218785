package io.zeroscale.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.zeroscale.daemon.Plugins;
import io.zeroscale.engine.TargetSpec;
import io.zeroscale.engine.TargetStatus;
import io.zeroscale.engine.Zeroscale;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.Plugin;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.RouteListener;
import io.zeroscale.testkit.AwsTestProxy;
import io.zeroscale.testkit.MotoPeer;
import io.zeroscale.spi.traffic.RequestStats;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.ec2.Ec2Client;

/**
 * The real engine over the aws-autoscaling plugin as the daemon loads it (from the distribution's
 * plugins/aws/, in its own class loader, made from config by its factory), against moto (testkit's
 * {@link MotoPeer}) through testkit's {@link AwsTestProxy}: a held request wakes a group from 0 to 3 and idling
 * brings it back to 0, with the observed state following; throttled writes are retried by the
 * engine and counted in its metrics; a scale-in terminates exactly the instances the engine drained.
 */
class AutoScalingEngineIT {
    private static final String REGION = "us-east-1";
    private static final int PORT = 8080;
    private static final AtomicInteger GROUPS = new AtomicInteger();

    @TempDir
    Path home;

    private MotoPeer moto;
    private AutoScalingClient autoScaling;
    private AwsTestProxy proxy;
    private Plugins plugins;
    private final InMemoryMetricReader metrics = InMemoryMetricReader.create();
    private final OpenTelemetrySdk telemetry = OpenTelemetrySdk.builder()
            .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build()).build();

    static {
        // The plugin takes credentials from the SDK's default chain; system properties are part of it.
        System.setProperty("aws.accessKeyId", "testing");
        System.setProperty("aws.secretAccessKey", "testing");
    }

    @BeforeEach
    void start() {
        moto = MotoPeer.start(home.resolve("moto"));
        autoScaling = AutoScalingClient.builder().region(Region.of(REGION)).endpointOverride(URI.create(moto.url()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")))
                .httpClient(UrlConnectionHttpClient.create()).build();
        proxy = AwsTestProxy.start(moto.url());
        plugins = Distribution.loadPlugins();
    }

    @AfterEach
    void stop() {
        try {
            proxy.close();
            autoScaling.close();
            plugins.close();
            telemetry.close();
        } finally {
            moto.close();
        }
    }

    /** A new group with no instances, on a launch configuration of one of moto's images. */
    private String group(String prefix, int min, int max) {
        String name = prefix + "-" + GROUPS.incrementAndGet();
        String configuration = "lc-" + name;
        try (Ec2Client ec2 = Ec2Client.builder().region(Region.of(REGION)).endpointOverride(URI.create(moto.url()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")))
                .httpClient(UrlConnectionHttpClient.create()).build()) {
            String image = ec2.describeImages().images().get(0).imageId();
            autoScaling.createLaunchConfiguration(r -> r.launchConfigurationName(configuration).imageId(image).instanceType("t3.micro"));
        }
        autoScaling.createAutoScalingGroup(r -> r.autoScalingGroupName(name).launchConfigurationName(configuration)
                .minSize(min).maxSize(max).desiredCapacity(min).availabilityZones(REGION + "a"));
        return name;
    }

    private Plugin awsPlugin() {
        return plugins.found().stream().filter(found -> found.plugin().getClass().getName().equals("io.zeroscale.plugin.aws.AwsPlugin"))
                .peek(found -> assertThat(found.origin()).isEqualTo(Distribution.plugins().resolve("aws").toString()))
                .map(Plugins.Found::plugin).findFirst().orElseThrow(() -> new AssertionError("no aws plugin in " + Distribution.plugins()));
    }

    private Zeroscale engine(String group) {
        Config orchestrator = Config.of("orchestrators.aws", Map.of("type", "aws-autoscaling", "region", REGION,
                "endpoint", proxy.url(), "poll-interval", "200ms"));
        TargetSpec target = TargetSpec.fromConfig("web", Config.of("targets.web", Map.of(
                "orchestrator", "aws",
                "workload", Map.of("kind", "AutoScalingGroup", "name", group, "port", PORT),
                "policy", Map.of("automaton", "zero-to-n", "idle", "1s", "drain-timeout", "1s", "wake-timeout", "2m",
                        "replicas", Map.of("min", 0, "max", 3)))));
        return Zeroscale.builder().dataDirectory(home.resolve("data")).openTelemetry(telemetry).plugin(awsPlugin())
                .orchestrator("aws", orchestrator).target(target).build().start();
    }

    @Test
    void aHeldRequestWakesTheGroupFromZeroToThreeAndIdlingBringsItBackToZero() {
        String group = group("engine", 0, 3);
        proxy.pendingFor(Duration.ofSeconds(2));
        try (Zeroscale zeroscale = engine(group)) {
            List<TargetStatus> seen = new CopyOnWriteArrayList<>();
            TargetStatus zero = await("started at ZERO").atMost(Duration.ofSeconds(30))
                    .until(() -> record(zeroscale, seen), s -> s.started() && s.state().equals("ZERO"));
            assertThat(zero.observedReplicas()).isZero();

            // zero-to-n wakes to max(1, min) replicas, and a min of 3 would forbid zero: an operator
            // override asks for 3 (expected traffic), and a held request wakes the target.
            zeroscale.engine().setOverride("web", 3, null, "test");
            zeroscale.trafficHub().report("test-gateway", zeroscale.status("web").orElseThrow().ref(), new RequestStats(1, 0, 1, 0, 0));

            TargetStatus active = await("ACTIVE with 3 ready replicas").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                    .until(() -> record(zeroscale, seen), s -> s.state().equals("ACTIVE") && s.readyReplicas() == 3);
            assertThat(active.backendDesiredReplicas()).isEqualTo(3);
            assertThat(seen).as("WAKING while the instances were Pending (launched, not ready)")
                    .anySatisfy(s -> {
                        assertThat(s.state()).isEqualTo("WAKING");
                        assertThat(s.observedReplicas()).isPositive();
                        assertThat(s.readyReplicas()).isZero();
                    });
            assertThat(autoScaling.describeAutoScalingGroups(r -> r.autoScalingGroupNames(group))
                    .autoScalingGroups().get(0).desiredCapacity()).isEqualTo(3);

            // The override ends, the held request is answered and finishes; after idle and the drain
            // the group goes to 0.
            zeroscale.engine().setOverride("web", null, null, "test");
            TargetStatus back = await("back to ZERO with no instance").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        zeroscale.trafficHub().report("test-gateway", active.ref(), new RequestStats(0, 0, 1, 1, 0.01));
                        return record(zeroscale, seen);
                    }, s -> s.state().equals("ZERO") && s.observedReplicas() == 0 && s.backendDesiredReplicas() == 0);
            assertThat(back.readyReplicas()).isZero();
            assertThat(seen).extracting(TargetStatus::state).containsSubsequence("ZERO", "WAKING", "ACTIVE", "DRAINING", "ZERO");
            assertThat(seen).extracting(TargetStatus::backendDesiredReplicas).as("the group's desired capacity, as observed")
                    .containsSubsequence(0, 3, 0).allMatch(n -> n == 0 || n == 1 || n == 3);
            assertThat(autoScaling.describeAutoScalingGroups(r -> r.autoScalingGroupNames(group))
                    .autoScalingGroups().get(0).instances()).isEmpty();
        }
    }

    @Test
    void throttledWritesAreRetriedByTheEngineAndCountedInItsMetrics() {
        String group = group("engine-throttle", 0, 3);
        try (Zeroscale zeroscale = engine(group)) {
            await("started").atMost(Duration.ofSeconds(30)).until(() -> zeroscale.status("web").orElseThrow().started());
            proxy.throttle("autoscaling:SetDesiredCapacity", 2);

            zeroscale.trafficHub().report("test-gateway", zeroscale.status("web").orElseThrow().ref(), new RequestStats(1, 0, 1, 0, 0));

            await("ACTIVE despite two throttled attempts").atMost(Duration.ofSeconds(60))
                    .until(() -> zeroscale.status("web").orElseThrow(), s -> s.state().equals("ACTIVE") && s.readyReplicas() == 1);
            assertThat(proxy.throttled()).isEqualTo(2);
            assertThat(proxy.calls("autoscaling:SetDesiredCapacity")).as("two throttled, the third went through").isEqualTo(3);
            assertThat(throttles()).as("zeroscale.orchestrator.errors{orchestrator=aws, code=THROTTLED}").isEqualTo(2);
        }
    }

    @Test
    void aScaleInTerminatesExactlyTheDrainedInstancesAndTheGroupKeepsTheOldest() {
        String group = group("engine-drain", 0, 3);
        try (Zeroscale zeroscale = engine(group)) {
            // A stand-in gateway with nothing in flight: it reports each replica drained as soon as
            // the route lists it as draining.
            zeroscale.engine().subscribe(new RouteListener() {
                @Override
                public void onRoute(TargetRef target, Route route) {
                    if (!route.draining().isEmpty()) {
                        zeroscale.trafficHub().drained("test-gateway", target, route.draining());
                    }
                }

                @Override
                public void onFailHeld(TargetRef target, int status, String reason) {}
            });
            await("started").atMost(Duration.ofSeconds(30)).until(() -> zeroscale.status("web").orElseThrow().started());
            zeroscale.engine().setOverride("web", 3, null, "test");
            TargetRef ref = zeroscale.status("web").orElseThrow().ref();
            zeroscale.trafficHub().report("test-gateway", ref, new RequestStats(1, 0, 1, 0, 0));
            await("3 ready").atMost(Duration.ofSeconds(60))
                    .until(() -> zeroscale.status("web").orElseThrow(), s -> s.state().equals("ACTIVE") && s.readyReplicas() == 3);
            zeroscale.trafficHub().report("test-gateway", ref, new RequestStats(0, 0, 1, 1, 0.01));
            // Oldest first is launch time, then the group's own order (the three share a launch second).
            List<String> before = autoScaling.describeAutoScalingGroups(r -> r.autoScalingGroupNames(group)).autoScalingGroups().get(0)
                    .instances().stream().map(i -> i.instanceId()).toList();
            proxy.resetCounts();

            zeroscale.engine().setOverride("web", 1, null, "test");

            TargetStatus one = await("1 ready after the drain").atMost(Duration.ofSeconds(60))
                    .until(() -> zeroscale.status("web").orElseThrow(), s -> s.observedReplicas() == 1 && s.readyReplicas() == 1
                            && s.backendDesiredReplicas() == 1);
            assertThat(one.state()).isEqualTo("ACTIVE");
            assertThat(proxy.calls("autoscaling:TerminateInstanceInAutoScalingGroup")).as("the two drained instances, each once")
                    .isEqualTo(2);
            assertThat(proxy.calls("autoscaling:SetDesiredCapacity")).as("the removal lowered the capacity: scale(1) wrote nothing")
                    .isZero();
            assertThat(autoScaling.describeAutoScalingGroups(r -> r.autoScalingGroupNames(group)).autoScalingGroups().get(0).instances())
                    .extracting(i -> i.instanceId()).as("the oldest kept, the newest two removed").containsExactly(before.get(0));
        }
    }

    private long throttles() {
        long total = 0;
        for (MetricData metric : metrics.collectAllMetrics()) {
            if (metric.getName().equals("zeroscale.orchestrator.errors")) {
                for (LongPointData point : metric.getLongSumData().getPoints()) {
                    if ("THROTTLED".equals(point.getAttributes().get(AttributeKey.stringKey("code")))
                            && "aws".equals(point.getAttributes().get(AttributeKey.stringKey("orchestrator")))) {
                        total += point.getValue();
                    }
                }
            }
        }
        return total;
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
