package io.zeroscale.plugin.aws;

import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

/** {@link ThroughProxy} for Auto Scaling groups: aws-autoscaling orchestrators, and groups watched into {@link #events}. */
abstract class GroupsThroughProxy extends ThroughProxy<AutoScalingOrchestrator> {
    /** Every event pushed to the watches {@link #watched} opened, in order. */
    protected final List<WorkloadEvent> events = new CopyOnWriteArrayList<>();

    @Override
    protected AutoScalingOrchestrator create(String endpoint, PluginContext context, UnaryOperator<Endpoint> probeAddress) {
        return Moto.orchestrator(endpoint, context, Map.of(), probeAddress);
    }

    /** A new orchestrator with {@code group} attached and watched into {@link #events}. */
    protected final AutoScalingOrchestrator watched(String group) {
        AutoScalingOrchestrator orchestrator = orchestrator();
        orchestrator.attach(Moto.workload("aws", group, Map.of()));
        orchestrator.watch(Moto.groupRef(group), events::add);
        return orchestrator;
    }
}
