package io.zeroscale.engine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * {@code SimulationMain TARGET.yaml SERIES.csv [STARTUP]}: prints the decision timeline a target's
 * policy would produce over a recorded series. The daemon's {@code zeroscale simulate} is the
 * full command; this entry point needs only the engine.
 */
public final class SimulationMain {
    private SimulationMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: SimulationMain TARGET.yaml SERIES.csv|SERIES.json [STARTUP e.g. 20s]");
            System.exit(2);
        }
        Path target = Path.of(args[0]);
        TargetSpec spec = TargetSpec.fromConfig(target.getFileName().toString().replaceFirst("\\.ya?ml$", ""),
                YamlConfig.parse(Files.readString(target), target.toString(), "target"));
        Duration startup = args.length > 2 ? io.zeroscale.spi.Durations.parse(args[2]) : Duration.ofSeconds(20);
        List<Simulation.Step> steps = Simulation.run(spec, Simulation.readSeries(Path.of(args[1])), startup,
                spec.policy().tick().multipliedBy(600), List.of());
        System.out.print(Simulation.formatTable(steps));
    }
}
