package io.zeroscale.plugin.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.zeroscale.spi.ErrorType;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ecs.model.DesiredStatus;
import software.amazon.awssdk.services.ecs.model.Service;

/**
 * The aws-ecs orchestrator against moto's server through the test proxy (which plays ECS's service
 * scheduler: moto's UpdateService starts no tasks).
 */
class EcsOrchestratorIT extends ThroughProxy<EcsOrchestrator> {
    private static final String DESCRIBE = "ecs:DescribeServices";


    @Override
    protected EcsOrchestrator create(String endpoint, PluginContext context, UnaryOperator<Endpoint> probeAddress) {
        return Moto.ecsOrchestrator(endpoint, context, Map.of(), probeAddress);
    }

    private EcsOrchestrator attached(String service, Map<String, ?> extra) {
        EcsOrchestrator orchestrator = orchestrator();
        orchestrator.attach(Moto.ecsWorkload("ecs", service, extra));
        return orchestrator;
    }

    private static TargetRef ref(String service) {
        return new TargetRef("ecs", "Service", Moto.CLUSTER, service);
    }

    private static Service describe(String service) {
        return Moto.ecs().describeServices(r -> r.cluster(Moto.CLUSTER).services(service)).services().get(0);
    }

    private static List<String> runningTasks(String service) {
        List<String> arns = Moto.ecs().listTasks(r -> r.cluster(Moto.CLUSTER).desiredStatus(DesiredStatus.RUNNING)).taskArns();
        if (arns.isEmpty()) {
            return List.of();
        }
        return Moto.ecs().describeTasks(r -> r.cluster(Moto.CLUSTER).tasks(arns)).tasks().stream()
                .filter(t -> ("service:" + service).equals(t.group()) && "RUNNING".equals(t.desiredStatus())).map(t -> t.taskArn()).toList();
    }

    @Test
    void zeroToTwoToZeroWithTheObservedStateFollowingAndBootTimeSeenAsPending() {
        String service = Moto.service("up-down");
        proxy.pendingFor(Duration.ofSeconds(3));
        EcsOrchestrator orchestrator = attached(service, Map.of());
        assertThat(orchestrator.observe(ref(service))).satisfies(s -> {
            assertThat(s.desiredReplicas()).isZero();
            assertThat(s.replicas()).isZero();
        });

        orchestrator.scale(ref(service), 2);
        ObservedState booting = orchestrator.observe(ref(service));
        assertThat(booting.desiredReplicas()).isEqualTo(2);
        assertThat(booting.replicas()).as("PENDING tasks exist").isEqualTo(2);
        assertThat(booting.readyReplicas()).as("PENDING tasks are not ready").isZero();

        ObservedState up = await("both tasks RUNNING").atMost(Duration.ofSeconds(20))
                .until(() -> orchestrator.observe(ref(service)), s -> s.readyReplicas() == 2);
        assertThat(up.readyEndpoints()).extracting(Endpoint::port).containsOnly(Moto.PORT);
        assertThat(up.readyEndpoints()).extracting(Endpoint::host).as("the tasks' awsvpc private IPs").doesNotHaveDuplicates()
                .allSatisfy(ip -> assertThat(ip).matches("\\d+\\.\\d+\\.\\d+\\.\\d+"));
        assertThat(describe(service).desiredCount()).isEqualTo(2);
        assertThat(runningTasks(service)).hasSize(2);

        orchestrator.scale(ref(service), 0);
        ObservedState down = orchestrator.observe(ref(service));
        assertThat(down.desiredReplicas()).isZero();
        assertThat(down.replicas()).isZero();
        assertThat(down.readyEndpoints()).isEmpty();
        assertThat(runningTasks(service)).isEmpty();
    }

    @Test
    void scalingToTheCurrentCountWritesNothing() {
        String service = Moto.service("same");
        EcsOrchestrator orchestrator = attached(service, Map.of());
        orchestrator.scale(ref(service), 1);
        resetCounts();

        orchestrator.scale(ref(service), 1);

        assertThat(proxy.calls("ecs:UpdateService")).isZero();
    }

    @Test
    void aMissingServiceIsAUserErrorNeverZero() {
        Moto.service("exists"); // the cluster exists
        EcsOrchestrator orchestrator = attached("no-such-service", Map.of());

        ZeroscaleException e = catchThrowableOfType(ZeroscaleException.class, () -> orchestrator.observe(ref("no-such-service")));

        assertThat(e.errorCode()).isEqualTo(AwsErrorCode.SERVICE_NOT_FOUND);
        assertThat(e.errorCode().type()).isEqualTo(ErrorType.USER_ERROR);
        assertThat(e.getMessage()).contains("'no-such-service' does not exist in cluster '" + Moto.CLUSTER + "'")
                .contains("targets.no-such-service.workload.name").contains("targets.no-such-service.workload.namespace");
    }

    @Test
    void aMissingClusterIsAUserErrorNamingTheNamespaceKey() {
        EcsOrchestrator orchestrator = orchestrator();
        TargetRef ref = new TargetRef("ecs", "Service", "no-such-cluster", "web");
        orchestrator.attach(new io.zeroscale.spi.orchestrator.Workload(ref,
                io.zeroscale.spi.Config.of("targets.web.workload", Map.of("port", Moto.PORT))));

        ZeroscaleException e = catchThrowableOfType(ZeroscaleException.class, () -> orchestrator.scale(ref, 1));

        assertThat(e.errorCode()).isEqualTo(AwsErrorCode.INVALID_REQUEST);
        assertThat(e.errorCode().type()).isEqualTo(ErrorType.USER_ERROR);
        assertThat(e.getMessage()).contains("Cluster not found").contains("targets.web.workload.namespace");
    }

    @Test
    void badSettingsAreRejectedAtAttachNamingTheKey() {
        EcsOrchestrator orchestrator = orchestrator();

        ZeroscaleException port = catchThrowableOfType(ZeroscaleException.class,
                () -> orchestrator.attach(Moto.ecsWorkload("ecs", "s", Map.of("port", 70000))));
        ZeroscaleException typo = catchThrowableOfType(ZeroscaleException.class,
                () -> orchestrator.attach(Moto.ecsWorkload("ecs", "s", Map.of("lower-min-size", true))));
        ZeroscaleException kind = catchThrowableOfType(ZeroscaleException.class,
                () -> orchestrator.attach(new io.zeroscale.spi.orchestrator.Workload(TargetRef.of("ecs", "AutoScalingGroup", "s"),
                        io.zeroscale.spi.Config.of("targets.s.workload", Map.of("port", 1)))));

        assertThat(port.errorCode()).isEqualTo(StandardErrorCode.CONFIG_INVALID);
        assertThat(port.getMessage()).isEqualTo("targets.s.workload.port: must be 1..65535, got 70000");
        assertThat(typo.getMessage()).startsWith("targets.s.workload.lower-min-size: unknown key");
        assertThat(kind.getMessage()).isEqualTo("targets.s.workload.kind: 'AutoScalingGroup' is not a kind of the aws-ecs orchestrator; use Service");
    }

    @Test
    void throttledScaleIsAnExternalErrorAfterOneAttempt() {
        String service = Moto.service("throttled");
        EcsOrchestrator orchestrator = attached(service, Map.of());
        proxy.throttle("ecs:UpdateService", 1);

        ZeroscaleException e = catchThrowableOfType(ZeroscaleException.class, () -> orchestrator.scale(ref(service), 1));

        assertThat(e.errorCode()).isEqualTo(AwsErrorCode.THROTTLED);
        assertThat(e.errorCode().type()).isEqualTo(ErrorType.EXTERNAL);
        assertThat(proxy.calls("ecs:UpdateService")).as("the SDK does not retry: the engine does").isEqualTo(1);
        assertThat(describe(service).desiredCount()).isZero();
        orchestrator.scale(ref(service), 1);
        assertThat(describe(service).desiredCount()).isEqualTo(1);
    }

    @Test
    void readyNeedsRunningAndTheHttpProbeWhenOneIsConfigured() {
        String service = Moto.service("probe");
        EcsOrchestrator orchestrator = attached(service, Map.of("readiness", Map.of("http", "/health")));
        orchestrator.scale(ref(service), 1);

        ObservedState ready = await("RUNNING and answering the probe").atMost(Duration.ofSeconds(20))
                .until(() -> orchestrator.observe(ref(service)), s -> s.readyReplicas() == 1);
        Endpoint endpoint = ready.readyEndpoints().get(0);

        backends.stop(endpoint.host());
        ObservedState down = orchestrator.observe(ref(service));
        assertThat(down.replicas()).isEqualTo(1);
        assertThat(down.readyReplicas()).as("RUNNING but not answering").isZero();
    }

    @Test
    void twentyFiveWatchedServicesCostThreeDescribeCallsPerIntervalAndTasksAreListedOnlyWhenThereAreAny() {
        EcsOrchestrator orchestrator = orchestrator();
        Map<String, List<ObservedState>> seen = new ConcurrentHashMap<>();
        List<String> services = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            String service = Moto.service("batch");
            services.add(service);
            orchestrator.attach(Moto.ecsWorkload("ecs", service, Map.of()));
        }
        for (String service : services) {
            orchestrator.watch(ref(service), event -> seen.computeIfAbsent(service, s -> new CopyOnWriteArrayList<>())
                    .add(((WorkloadEvent.Changed) event).state()));
        }
        await("a first event for each of the 25 services").atMost(Duration.ofSeconds(30)).until(() -> seen.size() == 25);
        awaitNoMoreDescribes();
        resetCounts();

        ticks.tick();
        await("one poll").atMost(Duration.ofSeconds(10)).until(() -> proxy.calls(DESCRIBE) == 3);
        assertThat(proxy.calls("ecs:ListTasks")).as("no service has or wants a task: no task is listed").isZero();

        orchestrator.scale(ref(services.get(7)), 1);
        resetCounts();
        for (int interval = 1; interval <= 3; interval++) {
            ticks.tick();
            int expected = interval;
            await("poll " + interval).atMost(Duration.ofSeconds(10)).until(() -> proxy.calls("ecs:DescribeTasks") == expected);
        }
        await("no further call").during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
                .until(() -> proxy.calls(DESCRIBE) == 9 && proxy.calls("ecs:ListTasks") == 3);
        List<ObservedState> changed = seen.get(services.get(7));
        assertThat(changed.get(changed.size() - 1).readyReplicas()).as("pushed from the batched poll").isEqualTo(1);
        assertThat(seen.get(services.get(0))).as("an unchanged service hears nothing new").hasSize(1);
    }

    @Test
    void aThrottledPollBacksOffPushesNothingAndThenRecovers() {
        String service = Moto.service("poll-throttle");
        EcsOrchestrator orchestrator = attached(service, Map.of());
        List<ObservedState> seen = new CopyOnWriteArrayList<>();
        orchestrator.watch(ref(service), event -> seen.add(((WorkloadEvent.Changed) event).state()));
        await("first event").atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 1);
        awaitNoMoreDescribes();
        orchestrator.scale(ref(service), 1);
        resetCounts();
        proxy.throttle(DESCRIBE, 1);

        ticks.tick();
        await("the throttled poll").atMost(Duration.ofSeconds(10)).until(() -> proxy.throttled() == 1);
        ticks.tick();
        await("the next interval is skipped").during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
                .until(() -> proxy.calls(DESCRIBE) == 1);
        assertThat(seen).as("a failed poll pushes nothing (never zero)").hasSize(1);

        ticks.tick();
        await("the new state pushed after the backoff").atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 2);
        assertThat(seen.get(1).readyReplicas()).isEqualTo(1);
    }

    /** Waits until the polls the watches asked for are over: no Describe for half a second. */
    private void awaitNoMoreDescribes() {
        AtomicInteger last = new AtomicInteger(-1);
        await("no poll running").during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> last.getAndSet(proxy.calls(DESCRIBE)) == proxy.calls(DESCRIBE));
    }
}
