package io.zeroscale.plugin.aws;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.orchestrator.Drainable;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.Endpoints;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.autoscaling.model.DescribeAutoScalingGroupsRequest;
import software.amazon.awssdk.services.autoscaling.model.DescribeAutoScalingGroupsResponse;
import software.amazon.awssdk.services.autoscaling.model.Instance;
import software.amazon.awssdk.services.autoscaling.model.Tag;
import software.amazon.awssdk.services.autoscaling.model.TagDescription;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesResponse;
import software.amazon.awssdk.services.ec2.model.Reservation;

/**
 * The {@code aws-autoscaling} orchestrator: one EC2 Auto Scaling group per target, in one region.
 *
 * <p>Scaling sets the group's desired capacity within its MinSize..MaxSize. Reaching zero below a
 * MinSize above 0 lowers MinSize to 0 only when the target's {@code lower-min-size} allows it,
 * first writing the original into the group's tag {@value #MIN_SIZE_TAG} so that it survives a
 * daemon restart (state lives in AWS, never in local files); the next scale-up restores it.
 *
 * <p>State: every {@code poll-interval} one batched DescribeAutoScalingGroups (all watched groups,
 * up to {@value #NAMES_PER_PAGE} names and records per page) and one DescribeInstances for
 * instances whose private IP is not known yet, pushed to the watchers as {@link
 * WorkloadEvent.Changed} when a group's state changed. A throttled poll waits 2, 4, then 8
 * intervals before the next one. A failed poll pushes nothing: the engine keeps the last state and
 * never reads a failure as zero.
 *
 * <p>Thread-safe: calls for different targets run concurrently; polls run one at a time ({@link Poller}) on the
 * blocking executor, which also delivers the events (in order per target).
 */
final class AutoScalingOrchestrator implements Orchestrator, Endpoints, Drainable {
    private static final Logger log = LoggerFactory.getLogger(AutoScalingOrchestrator.class);
    /** The tag holding a group's MinSize from before a scale to zero lowered it. */
    static final String MIN_SIZE_TAG = "zeroscale:original-min-size";
    /** DescribeAutoScalingGroups' largest page (MaxRecords); also the most names sent per request. */
    static final int NAMES_PER_PAGE = 100;
    /** Instance ids per DescribeInstances request. */
    static final int INSTANCES_PER_REQUEST = 200;

    private final String name;
    private final AutoScalingClient autoScaling;
    private final Ec2Client ec2;
    private final InstanceProbe probe;
    private final PluginContext context;
    private final AutoCloseable resources;
    private final Map<TargetRef, GroupSettings> groups = new ConcurrentHashMap<>();
    /** What DescribeInstances said of an instance; neither changes during its life. */
    private final Map<String, InstanceFacts> instances = new ConcurrentHashMap<>();
    private final Poller<GroupSettings> poller;

    /** Private IP and launch time of one instance. */
    record InstanceFacts(@Nullable String privateIp, Instant launchTime) {}

    AutoScalingOrchestrator(String name, AwsConfig config, AutoScalingClient autoScaling, Ec2Client ec2,
            InstanceProbe probe, PluginContext context, AutoCloseable resources) {
        this.name = requireNonNull(name, "name is null");
        this.autoScaling = requireNonNull(autoScaling, "autoScaling is null");
        this.ec2 = requireNonNull(ec2, "ec2 is null");
        this.probe = requireNonNull(probe, "probe is null");
        this.context = requireNonNull(context, "context is null");
        this.resources = requireNonNull(resources, "resources is null");
        this.poller = new Poller<>(name, "Auto Scaling group(s)", config.pollInterval(), context, this::read, GroupSettings::target,
                g -> "Auto Scaling group '" + g.groupName() + "'");
    }

    @Override
    public void attach(Workload workload) {
        GroupSettings settings = GroupSettings.parse(workload.target(), workload.settings());
        groups.put(workload.target(), settings);
    }

    /** Stops polling the group and forgets its settings; the group keeps its capacity and its tags. */
    @Override
    public void detach(Workload workload) {
        TargetRef target = workload.target();
        poller.forget(target);
        groups.remove(target);
    }

    @Override
    public ObservedState observe(TargetRef target) {
        GroupSettings settings = settings(target);
        AutoScalingGroup group = describeOne(settings);
        Map<String, InstanceFacts> facts = learnInstances(List.of(group));
        return state(settings, group, probeAll(List.of(settings), List.of(group), facts), facts);
    }

    @Override
    public void scale(TargetRef target, int replicas) {
        if (replicas < 0) {
            throw new IllegalArgumentException("replicas must not be negative, got " + replicas);
        }
        GroupSettings settings = settings(target);
        String group = settings.groupName();
        AutoScalingGroup current = describeOne(settings);
        int min = current.minSize();
        int max = current.maxSize();
        Integer original = originalMinSize(current);
        if (replicas > max) {
            throw new ZeroscaleException(AwsErrorCode.OUTSIDE_GROUP_LIMITS, "cannot scale Auto Scaling group '" + group + "' to "
                    + replicas + ": its MaxSize is " + max + "; raise MaxSize in AWS or lower the target's maximum replicas");
        }
        if (replicas == 0 && min > 0) {
            if (!settings.lowerMinSize()) {
                throw new ZeroscaleException(AwsErrorCode.OUTSIDE_GROUP_LIMITS, "cannot scale Auto Scaling group '" + group
                        + "' to 0: its MinSize is " + min + "; set " + settings.settings().pathOf("lower-min-size")
                        + ": true to let zeroscale lower MinSize to 0 (and restore it on the next scale-up), or set MinSize to 0 in AWS");
            }
            if (original == null) {
                // The original goes into the tag first: a crash between the two writes must not lose it.
                AwsErrors.call("CreateOrUpdateTags of group " + group, settings.settings().pathOf("name"),
                        () -> autoScaling.createOrUpdateTags(r -> r.tags(List.of(Tag.builder().resourceId(group).resourceType("auto-scaling-group")
                                .key(MIN_SIZE_TAG).value(Integer.toString(min)).propagateAtLaunch(false).build()))));
            }
            log.info("lowering MinSize of Auto Scaling group '{}' from {} to 0 to reach zero ({}: true); "
                    + "the original is kept in its tag {} and restored on the next scale-up",
                    group, min, settings.settings().pathOf("lower-min-size"), MIN_SIZE_TAG);
            AwsErrors.call("UpdateAutoScalingGroup of group " + group, settings.settings().pathOf("name"),
                    () -> autoScaling.updateAutoScalingGroup(r -> r.autoScalingGroupName(group).minSize(0).desiredCapacity(0)));
            return;
        }
        if (original != null && replicas > 0) {
            int restored = Math.min(original, replicas);
            if (min != restored || current.desiredCapacity() != replicas) {
                log.info("restoring MinSize of Auto Scaling group '{}' to {} (its original {}, kept in tag {}) while scaling to {}",
                        group, restored, original, MIN_SIZE_TAG, replicas);
                AwsErrors.call("UpdateAutoScalingGroup of group " + group, settings.settings().pathOf("name"),
                        () -> autoScaling.updateAutoScalingGroup(r -> r.autoScalingGroupName(group).minSize(restored).desiredCapacity(replicas)));
            }
            if (restored == original) {
                AwsErrors.call("DeleteTags of group " + group, settings.settings().pathOf("name"),
                        () -> autoScaling.deleteTags(r -> r.tags(List.of(
                                Tag.builder().resourceId(group).resourceType("auto-scaling-group").key(MIN_SIZE_TAG).build()))));
            }
            return;
        }
        if (replicas < min) {
            throw new ZeroscaleException(AwsErrorCode.OUTSIDE_GROUP_LIMITS, "cannot scale Auto Scaling group '" + group + "' to "
                    + replicas + ": its MinSize is " + min + "; lower MinSize in AWS or raise the target's minimum replicas");
        }
        if (current.desiredCapacity() == replicas) {
            return;
        }
        AwsErrors.call("SetDesiredCapacity of group " + group, settings.settings().pathOf("name"),
                () -> autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName(group).desiredCapacity(replicas).honorCooldown(false)));
    }

    /**
     * Terminates the instances serving at {@code drained} with TerminateInstanceInAutoScalingGroup
     * and {@code ShouldDecrementDesiredCapacity}, so the group lowers its desired capacity instead
     * of replacing them and a following {@code scale} to the new count writes nothing. Endpoints
     * matching no Pending or InService instance of the group (already terminating, gone, not this
     * group's) are ignored, so calling it again changes nothing.
     */
    @Override
    public void remove(TargetRef target, List<Endpoint> drained) {
        GroupSettings settings = settings(target);
        if (drained.isEmpty()) {
            return;
        }
        AutoScalingGroup group = describeOne(settings);
        Map<String, InstanceFacts> facts = learnInstances(List.of(group));
        for (Instance instance : group.instances()) {
            String state = instance.lifecycleStateAsString();
            boolean removable = state != null && (state.startsWith("Pending") || state.equals("InService"));
            Optional<Endpoint> endpoint = endpoint(instance, settings.port(), facts);
            if (removable && endpoint.isPresent() && drained.contains(endpoint.get())) {
                log.info("terminating instance {} ({}) of Auto Scaling group '{}', drained, lowering its desired capacity",
                        instance.instanceId(), endpoint.get(), settings.groupName());
                AwsErrors.call("TerminateInstanceInAutoScalingGroup of instance " + instance.instanceId() + " of group "
                        + settings.groupName(), settings.settings().pathOf("name"), () -> autoScaling.terminateInstanceInAutoScalingGroup(
                                r -> r.instanceId(instance.instanceId()).shouldDecrementDesiredCapacity(true)));
            }
        }
    }

    @Override
    public Subscription watch(TargetRef target, Consumer<WorkloadEvent> listener) {
        return poller.watch(settings(target), listener);
    }

    /** Polls every watched group now (besides the regular ticks); coalesces with a poll already waiting. */
    void requestPoll() {
        poller.requestPoll();
    }

    /** One round: the state of every watched group that exists, from batched reads. */
    private Map<GroupSettings, ObservedState> read(List<GroupSettings> watched) {
        Map<String, GroupSettings> byName = new LinkedHashMap<>();
        for (GroupSettings settings : watched) {
            byName.putIfAbsent(settings.groupName(), settings);
        }
        Map<String, AutoScalingGroup> found = describeMany(new ArrayList<>(byName.keySet()));
        Map<String, InstanceFacts> facts = learnInstances(found.values());
        List<GroupSettings> present = new ArrayList<>();
        List<AutoScalingGroup> presentGroups = new ArrayList<>();
        for (GroupSettings settings : watched) {
            AutoScalingGroup group = found.get(settings.groupName());
            if (group != null) {
                present.add(settings);
                presentGroups.add(group);
            }
        }
        Set<String> probed = probeAll(present, presentGroups, facts);
        Set<String> seen = new HashSet<>();
        Map<GroupSettings, ObservedState> states = new HashMap<>();
        for (int i = 0; i < present.size(); i++) {
            presentGroups.get(i).instances().forEach(instance -> seen.add(instance.instanceId()));
            states.put(present.get(i), state(present.get(i), presentGroups.get(i), probed, facts));
        }
        // Only watched groups' instances stay cached, so the cache is bounded by what runs.
        instances.keySet().retainAll(seen);
        return states;
    }

    /** DescribeAutoScalingGroups of the named groups: {@value #NAMES_PER_PAGE} names per request, every page. */
    private Map<String, AutoScalingGroup> describeMany(List<String> names) {
        Map<String, AutoScalingGroup> found = new HashMap<>();
        for (int from = 0; from < names.size(); from += NAMES_PER_PAGE) {
            List<String> chunk = names.subList(from, Math.min(names.size(), from + NAMES_PER_PAGE));
            String token = null;
            do {
                String next = token;
                DescribeAutoScalingGroupsRequest request = DescribeAutoScalingGroupsRequest.builder()
                        .autoScalingGroupNames(chunk).maxRecords(NAMES_PER_PAGE).nextToken(next).build();
                DescribeAutoScalingGroupsResponse page = AwsErrors.call("DescribeAutoScalingGroups of " + chunk.size() + " group(s)",
                        "the targets' workload names", () -> autoScaling.describeAutoScalingGroups(request));
                page.autoScalingGroups().forEach(g -> found.put(g.autoScalingGroupName(), g));
                token = page.nextToken();
            } while (token != null && !token.isEmpty());
        }
        return found;
    }

    private AutoScalingGroup describeOne(GroupSettings settings) {
        AutoScalingGroup group = describeMany(List.of(settings.groupName())).get(settings.groupName());
        if (group == null) {
            throw new ZeroscaleException(AwsErrorCode.GROUP_NOT_FOUND, "Auto Scaling group '" + settings.groupName()
                    + "' does not exist in region " + regionText() + "; check " + settings.settings().pathOf("name")
                    + " (defaults to the target's name) and the orchestrator's region");
        }
        return group;
    }

    /**
     * The private IP and launch time of every instance of {@code groups}: from the cache, with one
     * DescribeInstances for those not known yet. The answer is the caller's own copy, so a poll
     * trimming the cache meanwhile cannot make an instance lose its address.
     */
    private Map<String, InstanceFacts> learnInstances(Iterable<AutoScalingGroup> groups) {
        Map<String, InstanceFacts> known = new HashMap<>();
        List<String> unknown = new ArrayList<>();
        for (AutoScalingGroup group : groups) {
            for (Instance instance : group.instances()) {
                InstanceFacts facts = instances.get(instance.instanceId());
                if (facts == null || facts.privateIp() == null) {
                    unknown.add(instance.instanceId());
                } else {
                    known.put(instance.instanceId(), facts);
                }
            }
        }
        for (int from = 0; from < unknown.size(); from += INSTANCES_PER_REQUEST) {
            List<String> chunk = unknown.subList(from, Math.min(unknown.size(), from + INSTANCES_PER_REQUEST));
            String token = null;
            do {
                String next = token;
                DescribeInstancesResponse page = AwsErrors.call("DescribeInstances of " + chunk.size() + " instance(s)",
                        "the orchestrator's region", () -> ec2.describeInstances(r -> r.instanceIds(chunk).nextToken(next)));
                for (Reservation reservation : page.reservations()) {
                    for (software.amazon.awssdk.services.ec2.model.Instance instance : reservation.instances()) {
                        Instant launched = instance.launchTime() == null ? Instant.EPOCH : instance.launchTime();
                        InstanceFacts facts = new InstanceFacts(instance.privateIpAddress(), launched);
                        instances.put(instance.instanceId(), facts);
                        known.put(instance.instanceId(), facts);
                    }
                }
                token = page.nextToken();
            } while (token != null && !token.isEmpty());
        }
        return known;
    }

    /** Runs the readiness probe of every InService instance of the groups that have one; returns the ids that passed. */
    private Set<String> probeAll(List<GroupSettings> settings, List<AutoScalingGroup> groups, Map<String, InstanceFacts> facts) {
        Map<String, CompletableFuture<Boolean>> running = new LinkedHashMap<>();
        for (int i = 0; i < settings.size(); i++) {
            GroupSettings.Readiness readiness = settings.get(i).readiness();
            if (readiness == null) {
                continue;
            }
            int port = settings.get(i).port();
            for (Instance instance : groups.get(i).instances()) {
                Optional<Endpoint> endpoint = endpoint(instance, port, facts);
                if (inService(instance) && endpoint.isPresent()) {
                    running.put(instance.instanceId(), CompletableFuture.supplyAsync(
                            () -> probe.ready(endpoint.get(), readiness), context.blockingExecutor()));
                }
            }
        }
        Set<String> passed = new HashSet<>();
        running.forEach((id, result) -> {
            if (result.join()) {
                passed.add(id);
            }
        });
        return passed;
    }

    /** The observed state of {@code group}: desired capacity, instances that exist, ready ones oldest first. */
    private ObservedState state(GroupSettings settings, AutoScalingGroup group, Set<String> probed, Map<String, InstanceFacts> facts) {
        int existing = 0;
        List<Instance> ready = new ArrayList<>();
        List<Instance> listed = group.instances();
        for (Instance instance : listed) {
            if (!exists(instance)) {
                continue;
            }
            existing++;
            if (inService(instance) && endpoint(instance, settings.port(), facts).isPresent()
                    && (settings.readiness() == null || probed.contains(instance.instanceId()))) {
                ready.add(instance);
            }
        }
        // Oldest first: by launch time, then by the group's own listing order (launch times have
        // whole seconds, and instances launched together share one).
        Map<String, Integer> position = new HashMap<>();
        for (int i = 0; i < listed.size(); i++) {
            position.put(listed.get(i).instanceId(), i);
        }
        ready.sort(Comparator.comparing((Instance i) -> launchTime(i, facts)).thenComparing(i -> position.get(i.instanceId())));
        List<Endpoint> endpoints = new ArrayList<>();
        for (Instance instance : ready) {
            endpoints.add(endpoint(instance, settings.port(), facts).orElseThrow());
        }
        return new ObservedState(group.desiredCapacity(), existing, endpoints.size(), 0, endpoints, context.scheduler().clock().instant());
    }

    private static Instant launchTime(Instance instance, Map<String, InstanceFacts> facts) {
        InstanceFacts known = facts.get(instance.instanceId());
        return known == null ? Instant.EPOCH : known.launchTime();
    }

    private static Optional<Endpoint> endpoint(Instance instance, int port, Map<String, InstanceFacts> facts) {
        InstanceFacts known = facts.get(instance.instanceId());
        String ip = known == null ? null : known.privateIp();
        return ip == null || ip.isBlank() ? Optional.empty() : Optional.of(new Endpoint(ip, port));
    }

    /** Launching, running or on its way out: it exists. Detached, in standby or in a warm pool: not a replica. */
    static boolean exists(Instance instance) {
        String state = instance.lifecycleStateAsString();
        return state != null && (state.startsWith("Pending") || state.equals("InService") || state.startsWith("Terminating"));
    }

    static boolean inService(Instance instance) {
        return "InService".equals(instance.lifecycleStateAsString()) && !"Unhealthy".equalsIgnoreCase(instance.healthStatus());
    }

    private static @Nullable Integer originalMinSize(AutoScalingGroup group) {
        for (TagDescription tag : group.tags()) {
            if (MIN_SIZE_TAG.equals(tag.key())) {
                try {
                    return Integer.parseInt(tag.value().trim());
                } catch (NumberFormatException e) {
                    log.warn("Auto Scaling group '{}' has tag {}='{}', which is not a number; ignored",
                            group.autoScalingGroupName(), MIN_SIZE_TAG, tag.value());
                }
            }
        }
        return null;
    }

    private GroupSettings settings(TargetRef target) {
        GroupSettings settings = groups.get(requireNonNull(target, "target is null"));
        if (settings == null) {
            throw new ZeroscaleException(AwsErrorCode.UNKNOWN_TARGET,
                    "target " + target + " was never attached to orchestrator '" + name + "'");
        }
        return settings;
    }

    private String regionText() {
        return String.valueOf(autoScaling.serviceClientConfiguration().region());
    }

    @Override
    public void close() {
        poller.close();
        try {
            resources.close();
        } catch (Exception e) {
            log.warn("orchestrator {}: closing the AWS clients failed", name, e);
        }
    }

    @Override
    public String toString() {
        return "aws-autoscaling orchestrator '" + name + "' (" + regionText() + ")";
    }
}
