package io.zeroscale.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.zeroscale.engine.Simulation;
import io.zeroscale.engine.TargetSpec;
import io.zeroscale.engine.YamlConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Backtest of the adaptive keep-alive and pre-wake (issue 23) against fixed idle times, on
 * generated traces of 14 days with fixed seeds, through the real engine on virtual time
 * ({@link Simulation#compare}). Prints a table, writes the results as JSON and exits 1 when an
 * acceptance criterion fails:
 *
 * <ul>
 *   <li>timer and daily: adaptive has at least 50 % fewer cold starts than every baseline whose idle
 *       replica-seconds are no more than its own;
 *   <li>poisson and bursts: no baseline has both fewer cold starts and fewer idle replica-seconds.
 * </ul>
 *
 * Usage: {@code java -cp benchmarks/target/benchmarks.jar io.zeroscale.benchmarks.PredictBacktest [results.json]}
 */
public final class PredictBacktest {
    static final Instant START = Instant.parse("2026-01-05T00:00:00Z"); // a Monday
    static final Duration DAYS = Duration.ofDays(14);
    static final Duration WAKE = Duration.ofSeconds(20);
    static final Duration SERVICE = Duration.ofSeconds(1);
    /** The baselines, then adaptive without its seasonal forecast (for reference, not judged), then adaptive (last). */
    static final List<String> POLICIES = List.of("fixed:1m", "fixed:5m", "fixed:10m", "fixed:30m", "adaptive-histogram", "adaptive");
    static final String TARGET = """
            orchestrator: simulated
            workload: { kind: Process }
            policy:
              automaton: zero-to-n
              idle: 10m
              wake-timeout: 5m
              drain-timeout: 30s
              tick: 10s
              replicas: { min: 0, max: 1 }
            """;

    record Trace(String name, String parameters, long seed, boolean predictable, List<Instant> arrivals) {}

    private PredictBacktest() {}

    public static void main(String[] args) throws IOException {
        Path results = Path.of(args.length > 0 ? args[0] : "benchmarks/results/predict.json");
        TargetSpec target = TargetSpec.fromConfig("app", YamlConfig.parse(TARGET, "backtest", "targets.app"));
        String load = loadAverage();
        long began = System.nanoTime();
        List<Map<String, Object>> traces = new ArrayList<>();
        boolean allPass = true;
        StringBuilder table = new StringBuilder();
        table.append("| trace | policy | requests | cold starts | added wait (s) | idle replica-hours |\n");
        table.append("|---|---|---|---|---|---|\n");
        for (Trace trace : traces()) {
            List<Simulation.Candidate> candidates = POLICIES.stream()
                    .map(policy -> new Simulation.Candidate(policy, Simulation.variant(target, policy))).toList();
            long traceBegan = System.nanoTime();
            List<Simulation.Outcome> outcomes = Simulation.compare(candidates, rows(trace.arrivals()), WAKE, SERVICE, Duration.ofHours(1),
                    List.of());
            double seconds = (System.nanoTime() - traceBegan) / 1e9;
            System.out.print(trace.name() + " (" + trace.parameters() + "; " + String.format(Locale.ROOT, "%.1f", seconds) + " s)\n"
                    + Simulation.formatComparison(outcomes));
            Simulation.Metrics adaptive = outcomes.getLast().metrics();
            List<String> verdicts = new ArrayList<>();
            boolean pass = true;
            List<Map<String, Object>> policies = new ArrayList<>();
            for (int index = 0; index < outcomes.size(); index++) {
                Simulation.Outcome outcome = outcomes.get(index);
                Simulation.Metrics m = outcome.metrics();
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("policy", outcome.policy());
                row.put("requests", m.requests());
                row.put("coldStarts", m.coldStarts());
                row.put("addedWaitSeconds", m.addedWait().toMillis() / 1000.0);
                row.put("maxWaitSeconds", m.maxWait().toMillis() / 1000.0);
                row.put("idleReplicaSeconds", Math.round(m.idleReplicaSeconds()));
                row.put("failed", m.failed());
                policies.add(row);
                table.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %.0f | %.1f |%n", trace.name(), outcome.policy(), m.requests(),
                        m.coldStarts(), m.addedWait().toMillis() / 1000.0, m.idleReplicaSeconds() / 3600));
                if (!outcome.policy().startsWith("fixed:")) {
                    continue; // adaptive itself, and adaptive-histogram, which shows what the seasonal forecast adds
                }
                if (trace.predictable()) {
                    if (m.idleReplicaSeconds() <= adaptive.idleReplicaSeconds()) {
                        boolean ok = adaptive.coldStarts() <= 0.5 * m.coldStarts();
                        pass &= ok;
                        verdicts.add(outcome.policy() + " idles no more (" + Math.round(m.idleReplicaSeconds()) + " <= "
                                + Math.round(adaptive.idleReplicaSeconds()) + " replica-s): adaptive cold starts " + adaptive.coldStarts()
                                + (ok ? " <= " : " > ") + "half of " + m.coldStarts() + (ok ? ": PASS" : ": FAIL"));
                    } else {
                        verdicts.add(outcome.policy() + " idles more (" + Math.round(m.idleReplicaSeconds()) + " > "
                                + Math.round(adaptive.idleReplicaSeconds()) + " replica-s): not compared");
                    }
                } else {
                    boolean beats = m.coldStarts() < adaptive.coldStarts() && m.idleReplicaSeconds() < adaptive.idleReplicaSeconds();
                    pass &= !beats;
                    verdicts.add(outcome.policy() + (beats ? " beats adaptive on both: FAIL" : " does not beat adaptive on both: PASS"));
                }
            }
            allPass &= pass;
            verdicts.forEach(verdict -> System.out.println("  " + verdict));
            System.out.println("  => " + (pass ? "PASS" : "FAIL"));
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("trace", trace.name());
            entry.put("parameters", trace.parameters());
            entry.put("seed", trace.seed());
            entry.put("requests", trace.arrivals().size());
            entry.put("criterion", trace.predictable()
                    ? "adaptive >= 50% fewer cold starts than every baseline whose idle replica-seconds are no more than its own"
                    : "no baseline has both fewer cold starts and fewer idle replica-seconds than adaptive");
            entry.put("policies", policies);
            entry.put("verdicts", verdicts);
            entry.put("pass", pass);
            entry.put("seconds", Math.round(seconds * 10) / 10.0);
            traces.add(entry);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("benchmark", "PredictBacktest (issue 23: adaptive keep-alive, pre-wake and seasonal forecast vs fixed idle)");
        out.put("commit", commit());
        out.put("date", java.time.LocalDate.now(ZoneOffset.UTC).toString());
        out.put("loadAverageBefore", load);
        out.put("loadAverageAfter", loadAverage());
        out.put("wallSeconds", Math.round((System.nanoTime() - began) / 1e8) / 10.0);
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("start", START.toString());
        settings.put("days", DAYS.toDays());
        settings.put("wakeTime", "20s (the simulated workload is ready 20 s after each scale-up)");
        settings.put("serviceTime", "1s per request");
        settings.put("policies", POLICIES);
        settings.put("target", TARGET);
        settings.put("adaptive", "zero-to-n with adaptive: true (defaults: min-samples 10, head 5th, tail 99th percentile, margin 0.1,"
                + " min-variation 2, max-out-of-range 0.5, wake-lead 30s, seasonal: slot 10m, min-probability 0.7); its fallback is the"
                + " target's idle: 10m");
        settings.put("adaptive-histogram", "the same with adaptive.seasonal: false (slice 1's policy): shown for reference, not judged");
        out.put("settings", settings);
        out.put("traces", traces);
        out.put("pass", allPass);
        out.put("markdown", table.toString());
        Files.createDirectories(results.toAbsolutePath().getParent());
        Files.writeString(results, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(out) + "\n",
                StandardCharsets.UTF_8);
        System.out.println();
        System.out.print(table);
        System.out.println(allPass ? "ALL PASS" : "SOME FAIL");
        System.out.println("wrote " + results);
        System.exit(allPass ? 0 : 1);
    }

    static List<Trace> traces() {
        Instant end = START.plus(DAYS);
        List<Trace> traces = new ArrayList<>();

        Random timer = new Random(1);
        List<Instant> timerArrivals = new ArrayList<>();
        for (Instant tick = START.plusSeconds(60); tick.isBefore(end); tick = tick.plus(Duration.ofMinutes(15))) {
            timerArrivals.add(tick.plusMillis(timer.nextInt(60_001) - 30_000));
        }
        traces.add(new Trace("timer", "every 15 min +- 30 s (uniform jitter)", 1, true, timerArrivals));

        Random daily = new Random(2);
        List<Instant> dailyArrivals = new ArrayList<>();
        for (Instant at = START; at.isBefore(end); ) {
            at = at.plusMillis(Math.round(exponential(daily, 5 * 60_000)));
            ZonedDateTime local = at.atZone(ZoneOffset.UTC);
            boolean weekday = local.getDayOfWeek() != DayOfWeek.SATURDAY && local.getDayOfWeek() != DayOfWeek.SUNDAY;
            if (weekday && local.getHour() >= 8 && local.getHour() < 18 && at.isBefore(end)) {
                dailyArrivals.add(at);
            }
        }
        traces.add(new Trace("daily", "office hours Mon-Fri 08:00-18:00 UTC, Poisson with a mean gap of 5 min; nothing else", 2, true,
                dailyArrivals));

        Random poisson = new Random(3);
        List<Instant> poissonArrivals = new ArrayList<>();
        for (Instant at = START.plusMillis(Math.round(exponential(poisson, 10 * 60_000))); at.isBefore(end);
                at = at.plusMillis(Math.round(exponential(poisson, 10 * 60_000)))) {
            poissonArrivals.add(at);
        }
        traces.add(new Trace("poisson", "Poisson around the clock, mean gap 10 min", 3, false, poissonArrivals));

        Random bursts = new Random(4);
        List<Instant> burstArrivals = new ArrayList<>();
        for (Instant at = START.plusMillis(Math.round(exponential(bursts, 2 * 3_600_000))); at.isBefore(end);
                at = at.plusMillis(Math.round(exponential(bursts, 2 * 3_600_000)))) {
            List<Instant> burst = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                burst.add(at.plusMillis(bursts.nextInt(60_000)));
            }
            burst.stream().sorted().filter(instant -> instant.isBefore(end)).forEach(burstArrivals::add);
        }
        burstArrivals.sort(null);
        traces.add(new Trace("bursts", "bursts of 20 requests within 60 s, bursts Poisson with a mean gap of 2 h", 4, false,
                burstArrivals));
        return traces;
    }

    private static double exponential(Random random, double mean) {
        return -mean * Math.log(1 - random.nextDouble());
    }

    static List<Simulation.Row> rows(List<Instant> arrivals) {
        TreeMap<Instant, Integer> counts = new TreeMap<>();
        counts.put(START, 0);
        arrivals.forEach(at -> counts.merge(at, 1, Integer::sum));
        List<Simulation.Row> rows = new ArrayList<>();
        counts.forEach((at, count) -> rows.add(new Simulation.Row(at, Map.of(Simulation.REQUESTS, (double) count), List.of())));
        return rows;
    }

    private static String commit() {
        try {
            Process git = new ProcessBuilder("git", "rev-parse", "--short", "HEAD").redirectErrorStream(true).start();
            String out = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return git.waitFor() == 0 ? out : "unknown";
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
