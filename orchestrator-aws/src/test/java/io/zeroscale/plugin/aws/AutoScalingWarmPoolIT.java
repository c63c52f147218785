package io.zeroscale.plugin.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.zeroscale.spi.ErrorType;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.autoscaling.model.Instance;
import software.amazon.awssdk.services.autoscaling.model.TagDescription;
import software.amazon.awssdk.services.autoscaling.model.WarmPoolState;

/**
 * Warm pools as the pause tier of the aws-autoscaling orchestrator, against moto through the test
 * proxy, whose warm-pool emulation (moto keeps no instance in a pool) these tests rely on.
 */
class AutoScalingWarmPoolIT extends GroupsThroughProxy {
    /** A group of {@code instances} running instances with a warm pool that takes them back on scale-in. */
    private static String warmGroup(String prefix, int instances, boolean reuse) {
        String group = Moto.group(prefix, 0, 3);
        Moto.autoScaling().setDesiredCapacity(r -> r.autoScalingGroupName(group).desiredCapacity(instances));
        Moto.autoScaling().putWarmPool(r -> r.autoScalingGroupName(group).poolState(WarmPoolState.STOPPED)
                .instanceReusePolicy(p -> p.reuseOnScaleIn(reuse)));
        return group;
    }

    private ObservedState awaitState(AutoScalingOrchestrator orchestrator, String why, Predicate<ObservedState> wanted) {
        return await(why).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            orchestrator.requestPoll();
            return lastState();
        }, state -> state.isPresent() && wanted.test(state.get())).orElseThrow();
    }

    private Optional<ObservedState> lastState() {
        ObservedState last = null;
        for (WorkloadEvent event : events) {
            if (event instanceof WorkloadEvent.Changed changed) {
                last = changed.state();
            }
        }
        return Optional.ofNullable(last);
    }

    private List<WorkloadEvent.ReplicaStarted> started() {
        return events.stream().filter(WorkloadEvent.ReplicaStarted.class::isInstance).map(WorkloadEvent.ReplicaStarted.class::cast).toList();
    }

    @Test
    void pauseSendsTheInstancesToTheWarmPoolCountedAsPausedAndResumeTakesThemBackFromIt() {
        String group = warmGroup("warm-pause", 2, true);
        List<String> instances = Moto.describeGroup(group).instances().stream().map(Instance::instanceId).toList();
        AutoScalingOrchestrator orchestrator = watched(group);
        awaitState(orchestrator, "2 ready", s -> s.readyReplicas() == 2);

        orchestrator.pause(Moto.groupRef(group));

        AutoScalingGroup paused = Moto.describeGroup(group);
        assertThat(paused.desiredCapacity()).as("scaled in, so the pool takes them back").isZero();
        assertThat(tag(paused, AutoScalingOrchestrator.PAUSED_TAG)).as("the paused capacity, in AWS").contains("2");
        ObservedState whilePaused = awaitState(orchestrator, "paused", s -> s.pausedReplicas() == 2);
        assertThat(whilePaused.desiredReplicas()).as("the count a resume brings back, not 0 (the engine must not restore it)").isEqualTo(2);
        assertThat(whilePaused.replicas()).as("paused replicas exist: never missing").isEqualTo(2);
        assertThat(whilePaused.readyReplicas()).isZero();
        assertThat(proxy.warmPool(Moto.REGION, group, "Warmed:Stopped")).as("in the warm pool").containsOnlyKeys(instances);
        int tagWrites = proxy.calls("autoscaling:CreateOrUpdateTags");
        orchestrator.pause(Moto.groupRef(group));
        assertThat(proxy.calls("autoscaling:CreateOrUpdateTags")).as("pausing a paused group writes nothing").isEqualTo(tagWrites);
        awaitState(orchestrator, "warmed (Warmed:Stopped) and still paused", s -> s.pausedReplicas() == 2);
        await("warmed").atMost(Duration.ofSeconds(10)).until(() -> proxyWarmed(group));

        orchestrator.resume(Moto.groupRef(group));

        ObservedState resumed = awaitState(orchestrator, "2 ready again", s -> s.readyReplicas() == 2);
        assertThat(resumed.pausedReplicas()).isZero();
        assertThat(resumed.desiredReplicas()).isEqualTo(2);
        AutoScalingGroup back = Moto.describeGroup(group);
        assertThat(back.instances()).extracting(Instance::instanceId).as("the same instances, from the pool")
                .containsExactlyInAnyOrderElementsOf(instances);
        assertThat(tag(back, AutoScalingOrchestrator.PAUSED_TAG)).as("no longer paused").isEmpty();
        assertThat(started()).as("each named with its tier, for the engine's journal")
                .containsExactlyInAnyOrder(new WorkloadEvent.ReplicaStarted(instances.get(0), AutoScalingOrchestrator.TIER_WARM_POOL),
                        new WorkloadEvent.ReplicaStarted(instances.get(1), AutoScalingOrchestrator.TIER_WARM_POOL));
        int writes = proxy.calls("autoscaling:SetDesiredCapacity");
        orchestrator.resume(Moto.groupRef(group));
        orchestrator.scale(Moto.groupRef(group), 2);
        assertThat(proxy.calls("autoscaling:SetDesiredCapacity")).as("resume and scale to the current count write nothing").isEqualTo(writes);
    }

    /**
     * An instance still entering the pool (Warmed:Pending) is pausing, not paused: it exists, but
     * a scale-out would not take it from the pool (it launches new instances instead), so it must
     * not be reported paused until Warmed:Stopped.
     */
    @Test
    void instancesStillEnteringThePoolArePausingNotPaused() {
        proxy.warmPoolTimes(Duration.ofSeconds(5), Duration.ofMillis(500));
        String group = warmGroup("warm-pausing", 2, true);
        AutoScalingOrchestrator orchestrator = watched(group);
        awaitState(orchestrator, "2 ready", s -> s.readyReplicas() == 2);

        orchestrator.pause(Moto.groupRef(group));
        ObservedState pausing = orchestrator.observe(Moto.groupRef(group));

        assertThat(proxy.warmPool(Moto.REGION, group, "Warmed:Stopped").values()).as("still entering the pool")
                .containsOnly("Warmed:Pending");
        assertThat(pausing.pausedReplicas()).as("Warmed:Pending is not paused yet").isZero();
        assertThat(pausing.replicas()).as("but the instances exist: never missing").isEqualTo(2);
        assertThat(pausing.readyReplicas()).isZero();
        assertThat(pausing.desiredReplicas()).isEqualTo(2);
        ObservedState paused = awaitState(orchestrator, "paused once warmed", s -> s.pausedReplicas() == 2);
        assertThat(paused.replicas()).isEqualTo(2);
        assertThat(proxyWarmed(group)).as("reported paused only once Warmed:Stopped").isTrue();
    }

    /**
     * PAUSED -> ZERO: the engine scales a paused group to 0 without resuming it first (Pausable's
     * promise), and the plugin ends the pause without starting anything: the instances stay
     * stopped in the pool, no capacity is written, and the group reports nothing paused any more.
     */
    @Test
    void aScaleToZeroWhilePausedEndsThePauseWithoutStartingAnInstance() {
        String group = warmGroup("warm-zero", 2, true);
        AutoScalingOrchestrator orchestrator = watched(group);
        awaitState(orchestrator, "2 ready", s -> s.readyReplicas() == 2);
        orchestrator.pause(Moto.groupRef(group));
        awaitState(orchestrator, "paused", s -> s.pausedReplicas() == 2);
        int capacityWrites = proxy.calls("autoscaling:SetDesiredCapacity") + proxy.calls("autoscaling:UpdateAutoScalingGroup");

        orchestrator.scale(Moto.groupRef(group), 0);

        ObservedState zero = awaitState(orchestrator, "at zero", s -> s.desiredReplicas() == 0);
        assertThat(zero.replicas()).as("pooled instances of a group that is not paused are not replicas").isZero();
        assertThat(zero.pausedReplicas()).isZero();
        assertThat(proxy.calls("autoscaling:SetDesiredCapacity") + proxy.calls("autoscaling:UpdateAutoScalingGroup"))
                .as("no capacity written: nothing started from the pool").isEqualTo(capacityWrites);
        assertThat(Moto.describeGroup(group).desiredCapacity()).isZero();
        assertThat(tag(Moto.describeGroup(group), AutoScalingOrchestrator.PAUSED_TAG)).as("no longer paused").isEmpty();
        assertThat(proxy.warmPool(Moto.REGION, group, "Warmed:Stopped")).as("still in the pool, stopped").hasSize(2);
        assertThat(started()).as("no instance started").isEmpty();
    }

    /** Whether the proxy answers every instance of the group's pool as warmed. */
    private boolean proxyWarmed(String group) {
        return proxy.warmPool(Moto.REGION, group, "Warmed:Stopped").values().stream().allMatch("Warmed:Stopped"::equals);
    }

    @Test
    void aPoolWithoutEnoughInstancesFallsBackToLaunchingAndSaysSo() {
        String group = warmGroup("warm-short", 1, true);
        String pooled = Moto.describeGroup(group).instances().get(0).instanceId();
        AutoScalingOrchestrator orchestrator = watched(group);
        awaitState(orchestrator, "1 ready", s -> s.readyReplicas() == 1);
        orchestrator.pause(Moto.groupRef(group));
        awaitState(orchestrator, "paused", s -> s.pausedReplicas() == 1);

        orchestrator.scale(Moto.groupRef(group), 3);

        ObservedState stillPaused = awaitState(orchestrator, "3 wanted, still paused", s -> s.desiredReplicas() == 3);
        assertThat(stillPaused.pausedReplicas()).as("the pool holds 1").isEqualTo(1);
        assertThat(Moto.describeGroup(group).desiredCapacity()).as("a paused group is not started by a scale").isZero();
        await("warmed").atMost(Duration.ofSeconds(10)).until(() -> proxyWarmed(group));

        orchestrator.resume(Moto.groupRef(group));

        awaitState(orchestrator, "3 ready", s -> s.readyReplicas() == 3);
        await("three announced").atMost(Duration.ofSeconds(10)).until(() -> {
            orchestrator.requestPoll();
            return started().size() == 3;
        });
        assertThat(started()).filteredOn(s -> s.tier().equals(AutoScalingOrchestrator.TIER_WARM_POOL)).as("the pooled one")
                .singleElement().satisfies(s -> assertThat(s.replica()).isEqualTo(pooled));
        assertThat(started()).filteredOn(s -> s.tier().equals(AutoScalingOrchestrator.TIER_LAUNCHED)).as("the rest launched").hasSize(2);
    }

    @Test
    void pauseWithoutAWarmPoolThatReusesInstancesIsAUserErrorAndWritesNothing() {
        String plain = Moto.group("warm-none", 0, 3);
        Moto.autoScaling().setDesiredCapacity(r -> r.autoScalingGroupName(plain).desiredCapacity(1));
        String noReuse = warmGroup("warm-noreuse", 1, false);
        AutoScalingOrchestrator orchestrator = orchestrator();
        orchestrator.attach(Moto.workload("aws", plain, Map.of()));
        orchestrator.attach(Moto.workload("aws", noReuse, Map.of()));

        ZeroscaleException none = catchThrowableOfType(ZeroscaleException.class, () -> orchestrator.pause(Moto.groupRef(plain)));
        ZeroscaleException terminating = catchThrowableOfType(ZeroscaleException.class, () -> orchestrator.pause(Moto.groupRef(noReuse)));

        assertThat(none.errorCode()).isEqualTo(AwsErrorCode.NO_WARM_POOL);
        assertThat(none.errorCode().type()).isEqualTo(ErrorType.USER_ERROR);
        assertThat(none.getMessage()).contains("it has no warm pool").contains("ReuseOnScaleIn=true").contains("pause-after");
        assertThat(terminating.getMessage()).contains("does not reuse instances on scale-in");
        assertThat(proxy.actions()).as("nothing written").containsExactly("autoscaling:DescribeAutoScalingGroups");
        assertThat(Moto.describeGroup(plain).desiredCapacity()).isEqualTo(1);
        assertThat(Moto.describeGroup(noReuse).desiredCapacity()).isEqualTo(1);
    }

    private static Optional<String> tag(AutoScalingGroup group, String key) {
        return group.tags().stream().filter(t -> t.key().equals(key)).map(TagDescription::value).findFirst();
    }
}
