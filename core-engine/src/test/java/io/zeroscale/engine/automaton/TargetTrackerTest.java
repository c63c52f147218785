package io.zeroscale.engine.automaton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.automaton.ReplicaBounds;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.testkit.TestTargetContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The worked examples of the Kubernetes documentation ("Horizontal Pod Autoscaling", sections
 * "Algorithm details" and "Configurable scaling behavior", and the v1.33 blog post "HorizontalPodAutoscaler
 * Configurable Tolerance"), reproduced through {@link TargetTracker}.
 */
class TargetTrackerTest {
    private static final Map<String, Object> NO_DOWN_WINDOW = Map.of("scale-down", Map.of("stabilization-window", "0s"));

    private final TestTargetContext context = TestTargetContext.create();

    private static TargetTracker tracker(Map<String, ?> target, Map<String, ?> behavior, int min, int max) {
        return TargetTracker.fromConfig(Specs.node("target", target), Specs.node("behavior", behavior),
                new ReplicaBounds(min, max), Set.of("cpu", "latency", "queue"));
    }

    private void later(Duration step) {
        context.setNow(context.now().plus(step));
    }

    // Algorithm details: "if the current metric value is 200m, and the desired value is 100m, the
    // number of replicas will be doubled, since 200.0 / 100.0 == 2.0"
    @Test
    void currentMetricTwiceTheTargetDoublesTheReplicas() {
        TargetTracker tracker = tracker(Map.of("signal", "cpu", "value", 0.1), Map.of(), 1, 10);
        context.setSignal("cpu", 0.2);

        assertThat(tracker.recommend(context, 1)).isEqualTo(2);
        assertThat(tracker.lastReason()).isEqualTo("cpu 0.2 vs target 0.1 at 1 replica -> 2 replicas");
    }

    // The formula's words are kept between recommendations (steady load asks the same again), so
    // each one must still be worded from its own value and current replicas.
    @Test
    void eachRecommendationIsWordedFromItsOwnValueAndReplicas() {
        TargetTracker tracker = tracker(Map.of("signal", "cpu", "value", 0.1), Map.of(), 1, 10);
        context.setSignal("cpu", 0.2);
        tracker.recommend(context, 1);
        assertThat(tracker.lastReason()).startsWith("cpu 0.2 vs target 0.1 at 1 replica -> 2 replicas");

        later(Duration.ofSeconds(15));
        tracker.recommend(context, 2); // the same value, other replicas
        assertThat(tracker.lastReason()).startsWith("cpu 0.2 vs target 0.1 at 2 replicas -> 4 replicas");

        later(Duration.ofSeconds(15));
        context.setSignal("cpu", 0.3); // another value, the same replicas
        tracker.recommend(context, 2);
        assertThat(tracker.lastReason()).startsWith("cpu 0.3 vs target 0.1 at 2 replicas -> 6 replicas");

        later(Duration.ofSeconds(15));
        context.setSignal("cpu", 0.2); // back to the first value
        tracker.recommend(context, 2);
        assertThat(tracker.lastReason()).startsWith("cpu 0.2 vs target 0.1 at 2 replicas -> 4 replicas");
    }

    // Algorithm details: "If the current value is instead 50m, you'll halve the number of replicas"
    @Test
    void currentMetricHalfTheTargetHalvesTheReplicas() {
        TargetTracker tracker = tracker(Map.of("signal", "cpu", "value", 100), NO_DOWN_WINDOW, 1, 10);
        context.setSignal("cpu", 50);

        assertThat(tracker.recommend(context, 4)).isEqualTo(2);
    }

    // Algorithm details: "The control plane skips any scaling action if the ratio is sufficiently
    // close to 1.0 (within a globally-configurable tolerance, 0.1 by default)."
    @Test
    void ratioWithinTheDefaultToleranceChangesNothing() {
        TargetTracker tracker = tracker(Map.of("signal", "cpu", "value", 100), NO_DOWN_WINDOW, 1, 100);

        context.setSignal("cpu", 109);
        assertThat(tracker.recommend(context, 10)).isEqualTo(10);
        assertThat(tracker.lastReason()).contains("within tolerance");
        context.setSignal("cpu", 91);
        assertThat(tracker.recommend(context, 10)).isEqualTo(10);
        // just beyond the tolerance the formula applies: ceil(10 * 1.11) = 12
        context.setSignal("cpu", 111);
        assertThat(tracker.recommend(context, 10)).isEqualTo(12);
    }

    // Blog "Kubernetes v1.33: HorizontalPodAutoscaler Configurable Tolerance": 50 replicas at 90%
    // CPU with a 75% target: 50 * (90 / 75) = 60, 20% above target, beyond the 10% tolerance.
    @Test
    void utilizationTargetFromTheToleranceBlogPost() {
        TargetTracker tracker = tracker(Map.of("signal", "cpu", "utilization", 0.75), Map.of(), 1, 100);
        context.setSignal("cpu", 0.90);

        assertThat(tracker.recommend(context, 50)).isEqualTo(60);
    }

    // Same blog post: "scaleDown: tolerance: 0.05, scaleUp: tolerance: 0": scale up on any excess,
    // scale down only below 95% of the target.
    @Test
    void perDirectionToleranceFromTheToleranceBlogPost() {
        Map<String, Object> behavior = Map.of(
                "scale-up", Map.of("tolerance", 0),
                "scale-down", Map.of("tolerance", 0.05, "stabilization-window", "0s"));
        TargetTracker defaults = tracker(Map.of("signal", "cpu", "utilization", 0.75), NO_DOWN_WINDOW, 1, 100);
        TargetTracker tuned = tracker(Map.of("signal", "cpu", "utilization", 0.75), behavior, 1, 100);

        context.setSignal("cpu", 0.77); // 2.7% above target
        assertThat(defaults.recommend(context, 50)).isEqualTo(50);
        assertThat(tuned.recommend(context, 50)).isEqualTo(52); // ceil(50 * 0.77 / 0.75) = ceil(51.33)

        later(Duration.ofSeconds(15));
        context.setSignal("cpu", 0.69); // 8% below target
        assertThat(defaults.recommend(context, 50)).isEqualTo(50);
        assertThat(tuned.recommend(context, 50)).isEqualTo(46); // ceil(50 * 0.69 / 0.75) = ceil(46.0)
    }

    @Test
    void perReplicaTargetSpreadsATotalOverReplicas() {
        TargetTracker tracker = tracker(Map.of("signal", "inflight", "per-replica", 4), Map.of(), 0, 10);
        context.setRequests(new RequestStats(0, 13, 13, 0, 0));

        assertThat(tracker.recommend(context, 1)).isEqualTo(4);
        assertThat(tracker.lastReason()).isEqualTo("inflight 13.0 / 4 per replica -> 4 replicas");
    }

    // Stabilization window: "When the metrics indicate that the target should be scaled down the
    // algorithm looks into previously computed desired states, and uses the highest value from the
    // specified interval. In the above example, all desired states from the past 5 minutes will be
    // considered." (scaleDown.stabilizationWindowSeconds: 300)
    @Test
    void scaleDownUsesTheHighestRecommendationOfTheLastFiveMinutes() {
        TargetTracker tracker = tracker(Map.of("signal", "queue", "per-replica", 10),
                Map.of("scale-down", Map.of("stabilization-window", "300s")), 1, 20);
        context.setSignal("queue", 100);
        assertThat(tracker.recommend(context, 10)).isEqualTo(10);

        // the load drops: every 15 s the raw recommendation is 2, but 10 was recommended at t0
        context.setSignal("queue", 20);
        List<Integer> decided = new ArrayList<>();
        for (int i = 1; i < 20; i++) {
            later(Duration.ofSeconds(15));
            decided.add(tracker.recommend(context, 10));
        }
        assertThat(decided).containsOnly(10);
        assertThat(tracker.lastReason()).contains("scale-down held at 10 by the 5m stabilization window");

        later(Duration.ofSeconds(15)); // t0 + 300 s: the 10 left the window
        assertThat(tracker.recommend(context, 10)).isEqualTo(2);
    }

    // Example: change downscale stabilization window: stabilizationWindowSeconds: 60. A fluctuating
    // metric never scales down below the highest recent recommendation.
    @Test
    void shorterWindowFollowsTheRollingMaximum() {
        TargetTracker tracker = tracker(Map.of("signal", "queue", "per-replica", 10),
                Map.of("scale-down", Map.of("stabilization-window", "60s")), 1, 20);
        int current = 8;
        double[] load = {80, 30, 50, 20, 20, 20, 20, 20};
        List<Integer> decided = new ArrayList<>();
        for (double value : load) {
            context.setSignal("queue", value);
            current = tracker.recommend(context, current);
            decided.add(current);
            later(Duration.ofSeconds(20));
        }
        // raw: 8 3 5 2 2 2 2 2; max over the last 60 s (strictly after now - 60 s)
        assertThat(decided).containsExactly(8, 8, 8, 5, 5, 2, 2, 2);
    }

    @Test
    void aFreshTrackerDoesNotScaleDownBeforeItsWindowHasPassed() {
        // the HPA seeds the window with the current replicas, so a restart does not scale down at once
        TargetTracker tracker = tracker(Map.of("signal", "queue", "per-replica", 10), Map.of(), 0, 20);
        context.setSignal("queue", 0);

        assertThat(tracker.recommend(context, 6)).isEqualTo(6);
        later(Duration.ofMinutes(4));
        assertThat(tracker.recommend(context, 6)).isEqualTo(6);
        later(Duration.ofMinutes(1));
        assertThat(tracker.recommend(context, 6)).isZero();
    }

    // Scaling policies: Pods 4 / 60 s and Percent 10 / 60 s, select Max by default. "if there are 80
    // replicas and the target has to be scaled down to 10 replicas then during the first step 8
    // replicas will be reduced. In the next iteration when the number of replicas is 72, 10% of the
    // pods is 7.2 but the number is rounded up to 8 ... When the number of replicas falls below 40
    // the first policy (Pods) is applied and 4 replicas will be reduced at a time."
    @Test
    void percentAndPodsPoliciesScaleDownFromEightyToTen() {
        TargetTracker tracker = tracker(Map.of("signal", "queue", "per-replica", 4), Map.of("scale-down", Map.of(
                "stabilization-window", "0s",
                "policies", List.of(
                        Map.of("type", "Pods", "value", 4, "period", "60s"),
                        Map.of("type", "Percent", "value", 10, "period", "60s")))), 1, 100);
        context.setSignal("queue", 40); // wants 10 replicas

        int current = 80;
        List<Integer> steps = new ArrayList<>();
        // bounded, so a rounding bug that stalls the scale-down fails instead of looping forever
        for (int minute = 0; minute < 20 && current > 10; minute++) {
            int next = tracker.recommend(context, current);
            later(Duration.ofSeconds(30));
            assertThat(tracker.recommend(context, next)).as("no second step within the period").isEqualTo(next);
            later(Duration.ofSeconds(30));
            steps.add(next);
            current = next;
        }
        assertThat(steps).containsExactly(72, 64, 57, 51, 45, 40, 36, 32, 28, 24, 20, 16, 12, 10);
    }

    // Example: limit scale down rate: Percent 10 and Pods 5 per 60 s with selectPolicy Min: "no
    // more than 5 Pods are removed per minute" (and fewer once 10% is smaller than 5).
    @Test
    void selectPolicyMinTakesTheSmallestChange() {
        TargetTracker tracker = tracker(Map.of("signal", "queue", "per-replica", 4), Map.of("scale-down", Map.of(
                "stabilization-window", "0s",
                "select-policy", "Min",
                "policies", List.of(
                        Map.of("type", "Percent", "value", 10, "period", "60s"),
                        Map.of("type", "Pods", "value", 5, "period", "60s")))), 1, 100);
        context.setSignal("queue", 40);

        assertThat(tracker.recommend(context, 80)).isEqualTo(75);
        later(Duration.ofSeconds(60));
        assertThat(tracker.recommend(context, 40)).isEqualTo(36); // 10% of 40 = 4 < 5
    }

    // Default behavior: scale up "4 pods or a 100% of the currently running replicas will be added
    // every 15 seconds till the HPA reaches its steady state" (selectPolicy Max).
    @Test
    void defaultScaleUpAddsFourPodsOrDoublesEveryFifteenSeconds() {
        TargetTracker tracker = tracker(Map.of("signal", "queue", "per-replica", 1), Map.of(), 1, 100);
        context.setSignal("queue", 20);

        assertThat(tracker.recommend(context, 1)).isEqualTo(5); // max(1 + 4, 1 * 2)
        later(Duration.ofSeconds(5));
        assertThat(tracker.recommend(context, 5)).as("within the 15 s period").isEqualTo(5);
        later(Duration.ofSeconds(10));
        assertThat(tracker.recommend(context, 5)).isEqualTo(10); // max(5 + 4, 5 * 2)
        assertThat(tracker.lastReason()).contains("scale-up limited to 10 by the rate policies");
        later(Duration.ofSeconds(15));
        assertThat(tracker.recommend(context, 10)).isEqualTo(20); // max(10 + 4, 10 * 2)
    }

    // Example: disable scale down: "The selectPolicy value of Disabled turns off scaling the given
    // direction."
    @Test
    void disabledSelectPolicyForbidsThatDirection() {
        TargetTracker tracker = tracker(Map.of("signal", "queue", "per-replica", 1),
                Map.of("scale-down", Map.of("select-policy", "Disabled", "stabilization-window", "0s")), 1, 100);
        context.setSignal("queue", 2);
        assertThat(tracker.recommend(context, 10)).isEqualTo(10);
        assertThat(tracker.lastReason()).contains("scale-down disabled");

        context.setSignal("queue", 30);
        assertThat(tracker.recommend(context, 10)).as("scaling up still works").isEqualTo(20);
    }

    @Test
    void unknownSignalHoldsTheCurrentReplicasAndSaysWhy() {
        TargetTracker tracker = tracker(Map.of("signal", "cpu", "value", 0.5), NO_DOWN_WINDOW, 0, 10);
        context.setSignalUnknown("cpu", "prometheus timed out");

        assertThat(tracker.recommend(context, 3)).isEqualTo(3);
        assertThat(tracker.lastHoldReason()).hasValue("cpu unknown (prometheus timed out)");
        assertThat(tracker.lastReason()).isEqualTo("cpu unknown (prometheus timed out); holding 3 replicas");

        context.setSignal("cpu", 0.5);
        assertThat(tracker.recommend(context, 3)).isEqualTo(3);
        assertThat(tracker.lastHoldReason()).isEmpty();
    }

    @Test
    void ratioTargetCannotSizeFromZero() {
        TargetTracker tracker = tracker(Map.of("signal", "cpu", "value", 0.5), Map.of(), 0, 10);
        context.setSignal("cpu", 0.9);

        assertThat(tracker.recommend(context, 0)).isZero();
        assertThat(tracker.lastReason()).contains("cannot size from zero");
    }

    @Test
    void perReplicaTargetWakesFromZero() {
        TargetTracker tracker = tracker(Map.of("signal", "held", "per-replica", 4), Map.of(), 0, 10);
        context.setRequests(new RequestStats(3, 0, 3, 0, 0));

        assertThat(tracker.recommend(context, 0)).isEqualTo(1);
    }

    @Test
    void resultIsAlwaysWithinBounds() {
        TargetTracker tracker = tracker(Map.of("signal", "queue", "per-replica", 3), Map.of(), 2, 7);
        Random random = new Random(42);
        int current = 2;
        for (int i = 0; i < 2_000; i++) {
            double value = switch (random.nextInt(4)) {
                case 0 -> -random.nextDouble() * 50;
                case 1 -> Double.POSITIVE_INFINITY;
                default -> random.nextDouble() * 60;
            };
            context.setSignal("queue", value);
            int outside = random.nextInt(12); // the caller's current may lie outside the bounds
            current = tracker.recommend(context, random.nextInt(10) == 0 ? outside : current);
            assertThat(current).isBetween(2, 7);
            later(Duration.ofSeconds(1 + random.nextInt(30)));
        }
    }

    @Test
    void resetForgetsTheWindows() {
        TargetTracker tracker = tracker(Map.of("signal", "queue", "per-replica", 10), Map.of(), 0, 20);
        context.setSignal("queue", 100);
        tracker.recommend(context, 10);
        context.setSignal("queue", 0);
        later(Duration.ofSeconds(15));
        assertThat(tracker.recommend(context, 10)).isEqualTo(10);

        tracker.reset();
        // seeded afresh with the current replicas, so still no immediate scale-down...
        assertThat(tracker.recommend(context, 10)).isEqualTo(10);
        // ...but nothing from before the reset holds it after the window
        later(Duration.ofMinutes(5));
        assertThat(tracker.recommend(context, 10)).isZero();
    }

    @Test
    void misspelledTargetKeyIsRejectedWithASuggestion() {
        assertThatThrownBy(() -> tracker(Map.of("signal", "cpu", "per-replicas", 4), Map.of(), 0, 5))
                .isInstanceOf(ZeroscaleException.class)
                .hasMessageContaining("targets.app.policy.target.per-replicas: unknown key; did you mean 'per-replica'?");
    }

    @Test
    void unknownSignalNameIsRejectedWithThePath() {
        assertThatThrownBy(() -> tracker(Map.of("signal", "cpus", "utilization", 0.6), Map.of(), 0, 5))
                .isInstanceOf(ZeroscaleException.class)
                .hasMessageStartingWith("targets.app.policy.target.signal: unknown signal 'cpus'; did you mean 'cpu'?")
                .hasMessageContaining("define it under the policy's signals:")
                .extracting(e -> ((ZeroscaleException) e).errorCode())
                .isEqualTo(StandardErrorCode.POLICY_INVALID);
    }

    @Test
    void exactlyOneKindOfTargetIsRequired() {
        assertThatThrownBy(() -> tracker(Map.of("signal", "cpu", "utilization", 0.6, "value", 3), Map.of(), 0, 5))
                .hasMessageStartingWith("targets.app.policy.target: set exactly one of per-replica")
                .hasMessageEndingWith("got [utilization, value]");
        assertThatThrownBy(() -> tracker(Map.of("signal", "cpu"), Map.of(), 0, 5))
                .hasMessageEndingWith("got none");
        assertThatThrownBy(() -> tracker(Map.of("signal", "cpu", "per-replica", 0), Map.of(), 0, 5))
                .hasMessage("targets.app.policy.target.per-replica: must be greater than 0, got 0");
    }

    @Test
    void behaviorIsValidatedStrictly() {
        Map<String, ?> target = Map.of("signal", "cpu", "utilization", 0.6);
        assertThatThrownBy(() -> tracker(target, Map.of("scale-down", Map.of("select-policy", "Maximum")), 0, 5))
                .hasMessageStartingWith("targets.app.policy.behavior.scale-down.select-policy: unknown select-policy"
                        + " 'Maximum'; use Max");
        assertThatThrownBy(() -> tracker(target, Map.of("scale-up", Map.of("stabilization-window", "2h")), 0, 5))
                .hasMessageStartingWith("targets.app.policy.behavior.scale-up.stabilization-window: must be at most 1h");
        assertThatThrownBy(() -> tracker(target, Map.of("scale-up", Map.of("policies", List.of())), 0, 5))
                .hasMessageStartingWith("targets.app.policy.behavior.scale-up.policies: needs at least one policy");
        assertThatThrownBy(() -> tracker(target, Map.of("scale-up", Map.of("policies", List.of(
                        Map.of("type", "Pods", "value", 4, "period", "15s"),
                        Map.of("type", "Replicas", "value", 4, "period", "15s")))), 0, 5))
                .hasMessageStartingWith("targets.app.policy.behavior.scale-up.policies[1].type: unknown policy type"
                        + " 'Replicas'; use Pods");
        assertThatThrownBy(() -> tracker(target, Map.of("scale-up", Map.of("policies", List.of(
                        Map.of("type", "Pods", "value", 4, "period", 15)))), 0, 5))
                .hasMessageStartingWith("targets.app.policy.behavior.scale-up.policies[0].period: '15' is not a duration");
        assertThatThrownBy(() -> tracker(target, Map.of("scale-down", Map.of("tolerance", 1.5)), 0, 5))
                .hasMessageStartingWith("targets.app.policy.behavior.scale-down.tolerance: must be at least 0 and below 1");
        assertThatThrownBy(() -> tracker(target, Map.of("scaleDown", Map.of()), 0, 5))
                .hasMessage("targets.app.policy.behavior.scaleDown: unknown key; did you mean 'scale-down'?");
        // Disabled needs no policies
        assertThat(tracker(target, Map.of("scale-down", Map.of("select-policy", "Disabled", "policies", List.of())), 0, 5))
                .isNotNull();
    }
}
