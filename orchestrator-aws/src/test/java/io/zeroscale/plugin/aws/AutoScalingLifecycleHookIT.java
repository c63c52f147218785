package io.zeroscale.plugin.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.autoscaling.model.Instance;

/**
 * Terminate lifecycle hooks completed only after the drain, against moto through the test proxy,
 * whose Terminating:Wait emulation (moto has no CompleteLifecycleAction) these tests rely on.
 */
class AutoScalingLifecycleHookIT extends GroupsThroughProxy {
    private static final String COMPLETE = "autoscaling:CompleteLifecycleAction";
    private static final String HEARTBEAT = "autoscaling:RecordLifecycleActionHeartbeat";

    /** A group of 3 instances with a terminate lifecycle hook that waits up to 5 minutes. */
    private static String hookedGroup(String prefix) {
        String group = Moto.group(prefix, 0, 4);
        Moto.autoScaling().setDesiredCapacity(r -> r.autoScalingGroupName(group).desiredCapacity(3));
        Moto.autoScaling().putLifecycleHook(r -> r.autoScalingGroupName(group).lifecycleHookName("zeroscale-drain")
                .lifecycleTransition("autoscaling:EC2_INSTANCE_TERMINATING").heartbeatTimeout(300).defaultResult("CONTINUE"));
        return group;
    }

    private static ObservedState awaitReady(AutoScalingOrchestrator orchestrator, String group, int ready) {
        return await(ready + " ready").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> orchestrator.observe(Moto.groupRef(group)), s -> s.readyReplicas() == ready);
    }

    @Test
    void aDrainedInstanceIsTerminatedWithTheDecrementAndItsHookCompletedInTheSameRemove() {
        String group = hookedGroup("hook-remove");
        AutoScalingOrchestrator orchestrator = watched(group);
        ObservedState three = awaitReady(orchestrator, group, 3);
        Endpoint newest = three.readyEndpoints().get(2);

        orchestrator.remove(Moto.groupRef(group), List.of(newest));

        assertThat(proxy.log()).containsSubsequence("autoscaling:TerminateInstanceInAutoScalingGroup", COMPLETE);
        AutoScalingGroup after = Moto.describeGroup(group);
        assertThat(after.desiredCapacity()).isEqualTo(2);
        assertThat(after.instances()).as("terminated once the hook was completed, the other two kept").hasSize(2);
        assertThat(proxy.terminatingWait()).isEmpty();
        assertThat(orchestrator.observe(Moto.groupRef(group)).readyEndpoints()).doesNotContain(newest).hasSize(2);
    }

    @Test
    void autoScalingsOwnRemovalIsAnnouncedAndItsHookCompletedOnlyWhenTheEngineRemovesItAfterTheDrain() {
        String group = hookedGroup("hook-refresh");
        AutoScalingOrchestrator orchestrator = watched(group);
        ObservedState three = awaitReady(orchestrator, group, 3);
        List<Instance> instances = Moto.describeGroup(group).instances();
        String leaving = instances.get(0).instanceId();

        proxy.terminateAsAutoScaling(Moto.REGION, leaving);

        WorkloadEvent.Removing removing = await("announced").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            orchestrator.requestPoll();
            return events.stream().filter(WorkloadEvent.Removing.class::isInstance).map(WorkloadEvent.Removing.class::cast).findFirst();
        }, found -> found.isPresent()).orElseThrow();
        assertThat(removing.endpoints()).hasSize(1);
        Endpoint endpoint = removing.endpoints().get(0);
        assertThat(three.readyEndpoints()).as("an endpoint the engine knows").contains(endpoint);
        assertThat(removing.reason()).contains(leaving).contains("Terminating:Wait");
        ObservedState waiting = orchestrator.observe(Moto.groupRef(group));
        assertThat(waiting.readyEndpoints()).as("it still serves its in-flight requests until drained").contains(endpoint);
        orchestrator.requestPoll();
        orchestrator.requestPoll();
        await("two more polls").atMost(Duration.ofSeconds(10)).until(() -> proxy.calls("autoscaling:DescribeAutoScalingGroups") >= 4);
        assertThat(events.stream().filter(WorkloadEvent.Removing.class::isInstance)).as("announced once").hasSize(1);
        assertThat(proxy.calls(COMPLETE)).as("no completion before the drain").isZero();
        assertThat(proxy.terminatingWait()).containsExactly(leaving);

        orchestrator.remove(Moto.groupRef(group), List.of(endpoint));

        assertThat(proxy.calls(COMPLETE)).isEqualTo(1);
        assertThat(proxy.calls("autoscaling:TerminateInstanceInAutoScalingGroup")).as("Auto Scaling terminates it itself").isZero();
        AutoScalingGroup after = Moto.describeGroup(group);
        assertThat(after.instances()).extracting(Instance::instanceId).doesNotContain(leaving);
        assertThat(after.desiredCapacity()).as("Auto Scaling's removal keeps the capacity: a replacement").isEqualTo(3);
        orchestrator.remove(Moto.groupRef(group), List.of(endpoint));
        assertThat(proxy.calls(COMPLETE)).as("a repeated remove changes nothing").isEqualTo(1);
    }

    @Test
    void aDrainLongerThanTheHooksHeartbeatTimeoutKeepsTheInstanceWaitingWithHeartbeatsAndEndsWithItsCompletion() {
        // One second of the hook's timeout and of the plugin's clock lasts 150 ms: the 30 s timeout (AWS's minimum) is 4.5 s.
        Duration second = Duration.ofMillis(150);
        proxy.hookSecond(second);
        ticks.runClock(second);
        String group = Moto.group("hook-heartbeat", 0, 4);
        Moto.autoScaling().setDesiredCapacity(r -> r.autoScalingGroupName(group).desiredCapacity(3));
        Moto.autoScaling().putLifecycleHook(r -> r.autoScalingGroupName(group).lifecycleHookName("zeroscale-drain")
                .lifecycleTransition("autoscaling:EC2_INSTANCE_TERMINATING").heartbeatTimeout(30).defaultResult("ABANDON"));
        AutoScalingOrchestrator orchestrator = watched(group);
        awaitReady(orchestrator, group, 3);
        String leaving = Moto.describeGroup(group).instances().get(0).instanceId();

        proxy.terminateAsAutoScaling(Moto.REGION, leaving);

        Endpoint endpoint = await("announced").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            orchestrator.requestPoll();
            return events.stream().filter(WorkloadEvent.Removing.class::isInstance).map(WorkloadEvent.Removing.class::cast).findFirst();
        }, found -> found.isPresent()).orElseThrow().endpoints().get(0);
        // The gateway drains for 67 s of hook time (10 s here), over twice the hook's heartbeat timeout, polls going on.
        await("held in Terminating:Wait through the whole drain, not timed out").during(Duration.ofSeconds(10)).atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100)).until(() -> {
                    orchestrator.requestPoll();
                    return proxy.terminatingWait().contains(leaving);
                });
        assertThat(proxy.calls(HEARTBEAT)).as("heartbeats restarted the hook's timeout").isGreaterThanOrEqualTo(2);
        assertThat(proxy.calls(COMPLETE)).as("no completion before the drain").isZero();

        orchestrator.remove(Moto.groupRef(group), List.of(endpoint));

        assertThat(proxy.log()).containsSubsequence(HEARTBEAT, COMPLETE);
        assertThat(proxy.calls(COMPLETE)).isEqualTo(1);
        assertThat(proxy.terminatingWait()).as("completed (CONTINUE) after the drain").isEmpty();
        assertThat(Moto.describeGroup(group).instances()).extracting(Instance::instanceId).doesNotContain(leaving);
    }
}
