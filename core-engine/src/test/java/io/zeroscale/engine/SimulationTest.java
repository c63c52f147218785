package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulationTest {
    private static final TargetSpec TARGET = TargetSpec.fromConfig("api", YamlConfig.parse("""
            orchestrator: local
            workload: { kind: Process }
            policy:
              idle: 2m
              wake-timeout: 1m
              replicas: { min: 0, max: 5 }
              activation: { signal: rps, above: 0.5 }
              target: { signal: rps, per-replica: 10 }
              signals:
                rps: { source: prom, query: 'sum(rate(requests_total[1m]))' }
            """, "test", "targets.api"));

    @Test
    void replaysACsvSeriesIntoADecisionTimeline(@TempDir Path dir) throws IOException {
        Path csv = dir.resolve("series.csv");
        Files.writeString(csv, """
                time,rps
                0,0
                60,5
                120,35
                180,35
                240,0
                300,0
                """);

        List<Simulation.Step> steps = Simulation.run(TARGET, Simulation.readSeries(csv), Duration.ofSeconds(20), Duration.ofMinutes(5), List.of());

        assertThat(steps).extracting(Simulation.Step::state)
                .containsSubsequence("ZERO", "WAKING", "ACTIVE", "DRAINING", "ZERO");
        assertThat(steps).anySatisfy(step -> {
            assertThat(step.state()).isEqualTo("WAKING");
            assertThat(step.at()).isEqualTo(Simulation.rows("t", List.of(java.util.Map.of("time", "60"))).getFirst().at());
        });
        assertThat(steps).extracting(Simulation.Step::replicas).contains(4);
        assertThat(Simulation.formatTable(steps)).contains("STATE").contains("WAKING").contains("DRAINING");
    }

    @Test
    void aGapInTheSeriesIsUnknownAndNeverScalesToZero(@TempDir Path dir) throws IOException {
        Path json = dir.resolve("series.json");
        Files.writeString(json, """
                [ {"time": 0, "rps": 3}, {"time": 30, "rps": null}, {"time": 3600, "rps": null} ]
                """);

        List<Simulation.Step> steps = Simulation.run(TARGET, Simulation.readSeries(json), Duration.ofSeconds(5), Duration.ZERO, List.of());

        assertThat(steps).extracting(Simulation.Step::state).contains("ACTIVE").doesNotContain("DRAINING");
        assertThat(steps.getLast().replicas()).isEqualTo(1);
    }

    @Test
    void badSeriesIsRejectedWithRowAndColumn(@TempDir Path dir) throws IOException {
        Path csv = dir.resolve("bad.csv");
        Files.writeString(csv, "time,rps\n0,1\n10,lots\n");
        assertThatThrownBy(() -> Simulation.readSeries(csv))
                .hasMessageEndingWith("bad.csv row 2, column rps: 'lots' is not a number; leave the cell empty for an unknown value");
    }
}
