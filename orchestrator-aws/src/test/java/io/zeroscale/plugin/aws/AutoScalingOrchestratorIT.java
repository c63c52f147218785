package io.zeroscale.plugin.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.zeroscale.spi.ErrorType;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.autoscaling.model.TagDescription;

/** The aws-autoscaling orchestrator against moto's server through the test proxy. */
class AutoScalingOrchestratorIT extends GroupsThroughProxy {
    private static final String DESCRIBE = "autoscaling:DescribeAutoScalingGroups";

    private AutoScalingOrchestrator attached(Workload workload) {
        AutoScalingOrchestrator orchestrator = orchestrator();
        orchestrator.attach(workload);
        return orchestrator;
    }

    @Test
    void scaleToZeroBelowMinSizeIsRefusedNamingTheKeyUnlessAllowed() {
        String group = Moto.group("min-refused", 2, 5);
        AutoScalingOrchestrator orchestrator = attached(Moto.workload("aws", group, Map.of()));

        ZeroscaleException e = catchThrowableOfType(ZeroscaleException.class, () -> orchestrator.scale(Moto.groupRef(group), 0));

        assertThat(e.errorCode()).isEqualTo(AwsErrorCode.OUTSIDE_GROUP_LIMITS);
        assertThat(e.errorCode().type()).isEqualTo(ErrorType.USER_ERROR);
        assertThat(e.getMessage()).contains("its MinSize is 2").contains("targets." + group + ".workload.lower-min-size: true");
        assertThat(Moto.describeGroup(group).desiredCapacity()).as("nothing written").isEqualTo(2);
        assertThat(proxy.actions()).containsExactly(DESCRIBE);
    }

    @Test
    void scaleToZeroLowersMinSizeKeepsTheOriginalInATagAndAScaleUpRestoresIt() {
        String group = Moto.group("min-lowered", 2, 5);
        Workload workload = Moto.workload("aws", group, Map.of("lower-min-size", true));
        attached(workload).scale(Moto.groupRef(group), 0);

        AutoScalingGroup atZero = Moto.describeGroup(group);
        assertThat(atZero.minSize()).isZero();
        assertThat(atZero.desiredCapacity()).isZero();
        assertThat(tag(atZero)).as("the original MinSize, in AWS").contains("2");
        assertThat(proxy.log()).as("the tag is written before MinSize is lowered").containsSubsequence(
                "autoscaling:CreateOrUpdateTags", "autoscaling:UpdateAutoScalingGroup");

        // A restarted daemon (a new instance, nothing local) restores it from the tag, in two steps.
        AutoScalingOrchestrator restarted = attached(workload);
        restarted.scale(Moto.groupRef(group), 1);
        AutoScalingGroup one = Moto.describeGroup(group);
        assertThat(one.minSize()).as("MinSize may not exceed the count asked for").isEqualTo(1);
        assertThat(one.desiredCapacity()).isEqualTo(1);
        assertThat(tag(one)).as("kept until fully restored").contains("2");

        restarted.scale(Moto.groupRef(group), 3);
        AutoScalingGroup three = Moto.describeGroup(group);
        assertThat(three.minSize()).isEqualTo(2);
        assertThat(three.desiredCapacity()).isEqualTo(3);
        assertThat(tag(three)).as("the tag goes once MinSize is restored").isEmpty();

        resetCounts();
        restarted.scale(Moto.groupRef(group), 3);
        assertThat(proxy.actions()).as("scale(current) writes nothing").containsExactly(DESCRIBE);
    }

    @Test
    void scaleAboveMaxSizeIsRefused() {
        String group = Moto.group("max", 0, 2);
        AutoScalingOrchestrator orchestrator = attached(Moto.workload("aws", group, Map.of()));

        ZeroscaleException e = catchThrowableOfType(ZeroscaleException.class, () -> orchestrator.scale(Moto.groupRef(group), 3));

        assertThat(e.errorCode()).isEqualTo(AwsErrorCode.OUTSIDE_GROUP_LIMITS);
        assertThat(e.getMessage()).contains("its MaxSize is 2");
        assertThat(Moto.describeGroup(group).desiredCapacity()).isZero();
    }

    @Test
    void aMissingGroupIsAUserErrorNeverZero() {
        AutoScalingOrchestrator orchestrator = attached(Moto.workload("aws", "no-such-group", Map.of()));

        ZeroscaleException e = catchThrowableOfType(ZeroscaleException.class, () -> orchestrator.observe(Moto.groupRef("no-such-group")));

        assertThat(e.errorCode()).isEqualTo(AwsErrorCode.GROUP_NOT_FOUND);
        assertThat(e.getMessage()).contains("'no-such-group' does not exist in region us-east-1")
                .contains("targets.no-such-group.workload.name");
    }

    @Test
    void badSettingsAreRejectedAtAttachNamingTheKey() {
        AutoScalingOrchestrator orchestrator = orchestrator();

        ZeroscaleException port = catchThrowableOfType(ZeroscaleException.class,
                () -> orchestrator.attach(Moto.workload("aws", "g", Map.of("port", 0))));
        ZeroscaleException typo = catchThrowableOfType(ZeroscaleException.class,
                () -> orchestrator.attach(Moto.workload("aws", "g", Map.of("lower-min-sise", true))));

        assertThat(port.errorCode()).isEqualTo(StandardErrorCode.CONFIG_INVALID);
        assertThat(port.getMessage()).isEqualTo("targets.g.workload.port: must be 1..65535, got 0");
        assertThat(typo.getMessage()).isEqualTo("targets.g.workload.lower-min-sise: unknown key; did you mean 'lower-min-size'?");
    }

    @Test
    void throttledScaleIsAnExternalErrorAfterOneAttempt() {
        String group = Moto.group("throttled", 0, 3);
        AutoScalingOrchestrator orchestrator = attached(Moto.workload("aws", group, Map.of()));
        proxy.throttle("autoscaling:SetDesiredCapacity", 1);

        ZeroscaleException e = catchThrowableOfType(ZeroscaleException.class, () -> orchestrator.scale(Moto.groupRef(group), 1));

        assertThat(e.errorCode()).isEqualTo(AwsErrorCode.THROTTLED);
        assertThat(e.errorCode().type()).isEqualTo(ErrorType.EXTERNAL);
        assertThat(proxy.calls("autoscaling:SetDesiredCapacity")).as("the SDK does not retry: the engine does").isEqualTo(1);
        orchestrator.scale(Moto.groupRef(group), 1);
        assertThat(Moto.describeGroup(group).desiredCapacity()).isEqualTo(1);
    }

    @Test
    void readyNeedsInServiceAndTheHttpProbeWhenOneIsConfigured() {
        String group = Moto.group("probe", 0, 3);
        proxy.pendingFor(Duration.ofSeconds(1));
        AutoScalingOrchestrator orchestrator = attached(Moto.workload("aws", group, Map.of("readiness", Map.of("http", "/health"))));

        orchestrator.scale(Moto.groupRef(group), 1);
        ObservedState booting = orchestrator.observe(Moto.groupRef(group));
        assertThat(booting.replicas()).as("a Pending instance exists").isEqualTo(1);
        assertThat(booting.readyReplicas()).as("a Pending instance is not ready").isZero();

        ObservedState ready = await("InService and answering the probe").atMost(Duration.ofSeconds(20))
                .until(() -> orchestrator.observe(Moto.groupRef(group)), s -> s.readyReplicas() == 1);
        Endpoint endpoint = ready.readyEndpoints().get(0);
        assertThat(endpoint.port()).isEqualTo(Moto.PORT);
        assertThat(endpoint.host()).as("the instance's private IP").startsWith("10.");

        backends.stop(endpoint.host());
        ObservedState down = orchestrator.observe(Moto.groupRef(group));
        assertThat(down.replicas()).isEqualTo(1);
        assertThat(down.readyReplicas()).as("InService but not answering").isZero();
    }

    @Test
    void readyNeedsHealthyInTheTargetGroupWhenOneIsConfigured() {
        Map.Entry<String, String> created = Moto.groupInTargetGroup("elb", 0, 3);
        String group = created.getKey();
        TargetRef ref = Moto.groupRef(group);
        proxy.initialHealthChecks(Duration.ofDays(1));
        AutoScalingOrchestrator orchestrator = orchestrator();
        orchestrator.attach(Moto.workload("aws", group, Map.of("target-group-arn", created.getValue())));
        List<ObservedState> seen = new CopyOnWriteArrayList<>();
        orchestrator.watch(ref, event -> {
            if (event instanceof WorkloadEvent.Changed changed) {
                seen.add(changed.state());
            }
        });

        orchestrator.scale(ref, 2);
        assertThat(Moto.describeGroup(group).instances()).as("moto: InService at once").hasSize(2)
                .allSatisfy(i -> assertThat(i.lifecycleStateAsString()).isEqualTo("InService"));
        ObservedState initial = await("both instances pushed").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    ticks.tick();
                    return seen.isEmpty() ? null : seen.get(seen.size() - 1);
                }, state -> state != null && state.replicas() == 2);
        assertThat(initial.readyReplicas()).as("InService but 'initial' in the target group: not ready").isZero();
        assertThat(initial.readyEndpoints()).isEmpty();
        assertThat(orchestrator.observe(ref).readyReplicas()).isZero();

        // A poll still running now would see both healthy before the next line fails one, and push
        // the ready state the end of the test waits for before any call was counted.
        awaitNoPollInFlight();
        String first = Moto.describeGroup(group).instances().get(0).instanceId();
        proxy.initialHealthChecks(Duration.ZERO);
        proxy.failHealthChecks(first, true);
        ObservedState oneUnhealthy = orchestrator.observe(ref);
        assertThat(oneUnhealthy.readyReplicas()).as("one healthy, one 'unhealthy'").isEqualTo(1);

        proxy.failHealthChecks(first, false);
        resetCounts();
        ObservedState healthy = await("both healthy, pushed").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    ticks.tick();
                    return seen.get(seen.size() - 1);
                }, state -> state.readyReplicas() == 2);
        assertThat(healthy.readyEndpoints()).hasSize(2).allSatisfy(e -> assertThat(e.port()).isEqualTo(Moto.PORT));
        assertThat(proxy.calls("elasticloadbalancing:DescribeTargetHealth")).as("one call per target group per poll, not per instance")
                .isPositive().isLessThanOrEqualTo(proxy.calls(DESCRIBE));
    }

    @Test
    void aBadTargetGroupArnIsRejectedAtAttachNamingTheKey() {
        AutoScalingOrchestrator orchestrator = orchestrator();

        ZeroscaleException e = catchThrowableOfType(ZeroscaleException.class,
                () -> orchestrator.attach(Moto.workload("aws", "g", Map.of("target-group-arn", "web-tg"))));

        assertThat(e.errorCode()).isEqualTo(StandardErrorCode.CONFIG_INVALID);
        assertThat(e.getMessage()).startsWith("targets.g.workload.target-group-arn: 'web-tg' is not an ELBv2 target group ARN");
    }

    @Test
    void aHundredWatchedGroupsCostOneDescribePagePerInterval() {
        AutoScalingOrchestrator orchestrator = orchestrator();
        Map<String, List<ObservedState>> seen = new ConcurrentHashMap<>();
        List<String> groups = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            String group = Moto.group("batch", 0, 2);
            groups.add(group);
            orchestrator.attach(Moto.workload("aws", group, Map.of()));
        }
        for (String group : groups) {
            orchestrator.watch(Moto.groupRef(group), event -> seen.computeIfAbsent(group, g -> new CopyOnWriteArrayList<>())
                    .add(((WorkloadEvent.Changed) event).state()));
        }
        await("a first event for each of the 100 groups").atMost(Duration.ofSeconds(30)).until(() -> seen.size() == 100);
        awaitNoMoreDescribes();
        Moto.autoScaling().setDesiredCapacity(r -> r.autoScalingGroupName(groups.get(42)).desiredCapacity(1));
        resetCounts();

        for (int interval = 1; interval <= 5; interval++) {
            ticks.tick();
            int expected = interval;
            await("poll " + interval).atMost(Duration.ofSeconds(10)).until(() -> proxy.calls(DESCRIBE) == expected);
        }
        await("no further Describe call").during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
                .until(() -> proxy.calls(DESCRIBE) == 5);

        assertThat(proxy.calls("ec2:DescribeInstances")).as("the new instance's IP is asked for once").isEqualTo(1);
        List<ObservedState> changed = seen.get(groups.get(42));
        assertThat(changed.get(changed.size() - 1).readyReplicas()).as("pushed from the batched poll").isEqualTo(1);
        assertThat(seen.get(groups.get(0))).as("an unchanged group hears nothing new").hasSize(1);

        // The 101st group needs a second page.
        String extra = Moto.group("batch", 0, 2);
        orchestrator.attach(Moto.workload("aws", extra, Map.of()));
        orchestrator.watch(Moto.groupRef(extra), event -> {});
        await("the new watch's first poll").atMost(Duration.ofSeconds(10)).until(() -> proxy.calls(DESCRIBE) == 7);
        ticks.tick();
        await("two pages for 101 groups").atMost(Duration.ofSeconds(10)).until(() -> proxy.calls(DESCRIBE) == 9);
    }

    @Test
    void aThrottledPollBacksOffAndThenRecovers() {
        String group = Moto.group("poll-throttle", 0, 2);
        AutoScalingOrchestrator orchestrator = attached(Moto.workload("aws", group, Map.of()));
        List<ObservedState> seen = new CopyOnWriteArrayList<>();
        orchestrator.watch(Moto.groupRef(group), event -> seen.add(((WorkloadEvent.Changed) event).state()));
        await("first event").atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 1);
        awaitNoMoreDescribes();
        Moto.autoScaling().setDesiredCapacity(r -> r.autoScalingGroupName(group).desiredCapacity(1));
        resetCounts();
        proxy.throttle(DESCRIBE, 1);

        ticks.tick();
        await("the throttled poll").atMost(Duration.ofSeconds(10)).until(() -> proxy.throttled() == 1);
        ticks.tick();
        await("the next interval is skipped").during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
                .until(() -> proxy.calls(DESCRIBE) == 1);
        assertThat(seen).as("a failed poll pushes nothing (never zero)").hasSize(1);

        ticks.tick();
        await("the poll after the backoff").atMost(Duration.ofSeconds(10)).until(() -> proxy.calls(DESCRIBE) == 2);
        await("the new state pushed").atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 2);
        assertThat(seen.get(1).readyReplicas()).isEqualTo(1);
    }

    /** Waits until the polls the watches asked for are over: no Describe for half a second. */
    private void awaitNoMoreDescribes() {
        AtomicInteger last = new AtomicInteger(-1);
        await("no poll running").during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> last.getAndSet(proxy.calls(DESCRIBE)) == proxy.calls(DESCRIBE));
    }

    @Test
    void detachStopsPollingAndLeavesTheGroupAsItIs() {
        String group = Moto.group("detach", 0, 2);
        Workload workload = Moto.workload("aws", group, Map.of());
        AutoScalingOrchestrator orchestrator = attached(workload);
        orchestrator.scale(Moto.groupRef(group), 1);
        List<ObservedState> seen = new CopyOnWriteArrayList<>();
        orchestrator.watch(Moto.groupRef(group), event -> seen.add(((WorkloadEvent.Changed) event).state()));
        await("first event").atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 1);
        awaitNoMoreDescribes();
        resetCounts();

        orchestrator.detach(workload);
        orchestrator.detach(workload);
        ticks.tick();

        await("no poll after detach").during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
                .until(() -> proxy.calls(DESCRIBE) == 0);
        assertThat(Moto.describeGroup(group).desiredCapacity()).as("the group keeps its capacity").isEqualTo(1);
        ZeroscaleException e = catchThrowableOfType(ZeroscaleException.class, () -> orchestrator.observe(Moto.groupRef(group)));
        assertThat(e.errorCode()).isEqualTo(AwsErrorCode.UNKNOWN_TARGET);
    }

    private static Optional<String> tag(AutoScalingGroup group) {
        return group.tags().stream().filter(t -> t.key().equals(AutoScalingOrchestrator.MIN_SIZE_TAG))
                .map(TagDescription::value).findFirst();
    }
}
