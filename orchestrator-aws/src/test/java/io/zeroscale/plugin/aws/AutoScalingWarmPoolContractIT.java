package io.zeroscale.plugin.aws;

import io.zeroscale.spi.orchestrator.Workload;
import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.autoscaling.model.WarmPoolState;

/**
 * testkit's whole orchestrator contract, pause and resume included, on an Auto Scaling group with
 * a warm pool that takes instances back on scale-in (the pause tier), through the test proxy's
 * warm-pool emulation (moto keeps no instance in a pool). Instances take 500 ms to enter the pool
 * (Warmed:Pending, then Warmed:Stopped) and 500 ms to start from it.
 */
class AutoScalingWarmPoolContractIT extends AutoScalingContractIT {
    @Override
    protected void setUpBackend() {
        super.setUpBackend();
        proxy().warmPoolTimes(Duration.ofMillis(500), Duration.ofMillis(500));
    }

    @Override
    protected Workload newWorkload() {
        String group = Moto.group("contract-pool", 0, 5);
        Moto.autoScaling().putWarmPool(r -> r.autoScalingGroupName(group).poolState(WarmPoolState.STOPPED)
                .instanceReusePolicy(p -> p.reuseOnScaleIn(true)));
        return Moto.workload("aws", group, Map.of());
    }

    /** A pooled group can pause: the contract's pause case runs. */
    @Override
    protected @Nullable String whyTheWorkloadCannotPause() {
        return null;
    }
}
