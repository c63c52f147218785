package io.zeroscale.daemon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.daemon.Daemon;
import io.zeroscale.daemon.Plugins;
import io.zeroscale.daemon.config.ConfigLoader;
import io.zeroscale.engine.state.DataDirectoryLock;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a user runs it: exit status, stdout and stderr. */
class ZeroscaleCommandTest {
    private static final Path QUICKSTART = Path.of("../samples/quickstart/zeroscale.yaml");
    private static final Path SIMULATE = Path.of("../examples/simulate.yaml");
    private static final Path SERIES = Path.of("../examples/simulate-series.csv");

    @TempDir
    Path temp;

    record Result(int status, String out, String err) {}

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = ZeroscaleCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(status, out.toString(), err.toString());
    }

    @Test
    void everyCommandHasHelpAndTheToolHasAVersion() {
        assertThat(run("--version").out()).startsWith("zeroscale ").contains("Java ");
        assertThat(run("--help").out()).contains("Usage: zeroscale", "run", "validate", "simulate", "status", "history");
        for (String command : new String[] {"run", "validate", "simulate", "status", "history", "history export", "history import"}) {
            List<String> args = new java.util.ArrayList<>(List.of(command.split(" ")));
            args.add("--help");
            Result help = run(args.toArray(String[]::new));
            assertThat(help.status()).isZero();
            assertThat(help.out()).contains("Usage: zeroscale " + command);
        }
    }

    @Test
    void validateAcceptsTheQuickstartAndExplainsAMistake() throws Exception {
        Result valid = run("validate", "--config", QUICKSTART.toString());
        assertThat(valid.status()).isZero();
        assertThat(valid.out()).isEqualTo(QUICKSTART + ": valid (1 orchestrator(s), 0 metric source(s), 1 target(s))\n");

        Path broken = temp.resolve("broken.yaml");
        Files.writeString(broken, Files.readString(QUICKSTART).replace("idle: 30s", "idle: 30 s"));
        Result invalid = run("validate", "--config", broken.toString());
        assertThat(invalid.status()).isEqualTo(2);
        assertThat(invalid.err()).isEqualTo("zeroscale: targets.hello.policy.idle: '30 s' is not a duration; write a whole number"
                + " followed by a unit (ms, s, m, h, d), e.g. 250ms, 30s, 5m, 1h30m\n");

        Result missing = run("validate", "--config", temp.resolve("nope.yaml").toString());
        assertThat(missing.status()).isEqualTo(2);
        assertThat(missing.err()).contains("nope.yaml: no such file; pass --config");
        assertThat(run("validate").status()).isEqualTo(2);
    }

    @Test
    void validateReportsEveryMistakeOfAFileInOneRun() throws Exception {
        Path broken = temp.resolve("four-mistakes.yaml");
        Files.writeString(broken, Files.readString(QUICKSTART)
                .replace("local: { type: process }", "local: { type: procss }")
                .replace("orchestrator: local", "orchestrator: locl")
                .replace("idle: 30s", "idel: 30s")
                .replace("replicas: { min: 0, max: 1 }", "replicas: { min: 3, max: 1 }"));
        Result invalid = run("validate", "--config", broken.toString());
        assertThat(invalid.status()).isEqualTo(2);
        assertThat(invalid.out()).isEmpty();
        assertThat(invalid.err()).isEqualTo("""
                zeroscale: orchestrators.local.type: no plugin provides type 'procss'; did you mean 'process'? installed types:\
                 [process]. Put the plugin's jars in plugins/<name>/ (daemon) or on the classpath (SDK).
                zeroscale: targets.hello.orchestrator: no orchestrator named 'locl'; did you mean 'local'?
                zeroscale: targets.hello.policy.idel: unknown key; did you mean 'idle'?
                zeroscale: targets.hello.policy.replicas: min (3) is greater than max (1); lower min or raise max
                """);
    }

    @Test
    void aKeySetTwiceIsRefusedNamingBothLines() throws Exception {
        Path twice = temp.resolve("twice.yaml");
        Files.writeString(twice, Files.readString(QUICKSTART).replace("      idle: 30s", "      idle: 10s\n      idle: 0s"));
        int first = Files.readAllLines(twice).indexOf("      idle: 10s") + 1;
        assertThat(first).isPositive();
        Result invalid = run("validate", "--config", twice.toString());
        assertThat(invalid.status()).isEqualTo(2);
        assertThat(invalid.err()).isEqualTo("zeroscale: targets.hello.policy.idle: set twice in " + twice + ", on line " + first
                + " and line " + (first + 1) + "; keep one\n");
    }

    @Test
    void aListenAddressInUseEndsStartupWithOneLine() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            String address = "127.0.0.1:" + taken.getLocalPort();
            Result gateway = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofMinutes(1), () ->
                    run("run", "--config", QUICKSTART.toString(), "--set", "gateway.listen=" + address, "--set", "api.listen=127.0.0.1:0"));
            assertThat(gateway.status()).as(gateway.err()).isEqualTo(2);
            assertThat(gateway.err()).isEqualTo("zeroscale: gateway.listen: " + address + " is already in use; stop what listens"
                    + " there or choose another port (0 picks a free one)\n");
            Result api = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofMinutes(1), () ->
                    run("run", "--config", QUICKSTART.toString(), "--set", "gateway.listen=127.0.0.1:0", "--set", "api.listen=" + address));
            assertThat(api.status()).as(api.err()).isEqualTo(2);
            assertThat(api.err()).isEqualTo("zeroscale: api.listen: " + address + " is already in use; stop what listens"
                    + " there or choose another port (0 picks a free one)\n");
        }
    }

    @Test
    void simulatePrintsTheTimelineAndDrawsItWithTheDashboardsCharts() throws Exception {
        Path directory = temp.resolve("timeline");
        Result table = run("simulate", "--config", SIMULATE.toString(), "--target", "api", "--series", SERIES.toString(),
                "--out", directory.toString());
        assertThat(table.status()).as(table.err()).isZero();
        assertThat(table.out()).startsWith("TIME ").contains("ZERO -> WAKING: waking: signal rps = 2.0 above activation 0.5",
                "DRAINING -> ZERO");
        assertThat(table.err()).isEqualTo("zeroscale: wrote " + directory.resolve("index.html") + "\n");
        // The dashboard's own chart files, byte for byte, next to the page.
        for (String name : List.of("uplot.js", "uplot.css", "charts.js", "app.css")) {
            assertThat(Files.readAllBytes(directory.resolve(name))).as(name).isEqualTo(io.zeroscale.daemon.api.Dashboard.file(name));
        }
        assertThat(Files.readString(directory.resolve("index.html"))).contains("<script src=\"charts.js\" defer></script>");
        String data = Files.readString(directory.resolve("data.js"));
        assertThat(data).startsWith("window.zeroscaleSimulation = {");
        com.fasterxml.jackson.databind.JsonNode replay = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(data.substring(data.indexOf('{'), data.lastIndexOf(';')));
        List<Integer> ready = new java.util.ArrayList<>();
        replay.path("points").forEach(point -> ready.add(point.path("ready").asInt()));
        // Observed replicas as they changed: the 5 ready replicas of the busy minutes are drawn,
        // not the 2 a decision happened to see, and zero again at the end.
        assertThat(ready).contains(5).endsWith(0);
        assertThat(replay.path("points").get(1).path("signals").has("rps")).isTrue();
        assertThat(replay.path("steps").toString()).contains("WAKING");

        Result file = run("simulate", "-c", SIMULATE.toString(), "-t", "api", "-s", SERIES.toString(), "-o",
                temp.resolve("timeline.png").toString());
        assertThat(file.status()).isEqualTo(2);
        assertThat(file.err()).contains("--out: " + temp.resolve("timeline.png") + " is a file name; give a directory");

        Result unknown = run("simulate", "-c", SIMULATE.toString(), "-t", "apj", "-s", SERIES.toString());
        assertThat(unknown.status()).isEqualTo(2);
        assertThat(unknown.err()).isEqualTo("zeroscale: --target: no target named 'apj' in " + SIMULATE + "; did you mean 'api'?\n");
    }

    @Test
    void simulateComparesIdlePoliciesOnAnArrivalHistory() throws Exception {
        Path directory = temp.resolve("compare");
        Result compared = run("simulate", "-c", SIMULATE.toString(), "-t", "timer", "-s", "../examples/timer-history.csv",
                "--compare", "fixed:1m,fixed:30m", "--compare", "adaptive", "-o", directory.toString());
        assertThat(compared.status()).as(compared.err()).isZero();
        assertThat(compared.err()).isEqualTo("zeroscale: wrote " + directory.resolve("index.html") + "\n");
        List<String> lines = compared.out().lines().toList();
        assertThat(lines.getFirst()).startsWith("POLICY").contains("COLD STARTS", "ADDED WAIT", "IDLE REPLICA-S");
        assertThat(lines).hasSize(4);
        long[] fixed1 = numbers(lines.get(1));
        long[] fixed30 = numbers(lines.get(2));
        long[] adaptive = numbers(lines.get(3));
        // Two days of a 15-minute timer: 192 requests. One minute of idle misses every one of them,
        // thirty minutes misses only the first; adaptive learns the timer and pre-wakes, idling less than 30m.
        assertThat(fixed1[0]).isEqualTo(192);
        assertThat(fixed1[1]).isEqualTo(192);
        assertThat(fixed30[1]).isEqualTo(1);
        assertThat(adaptive[1]).isLessThan(20);
        assertThat(adaptive[2]).isLessThan(fixed30[2]);
        // Drawn with the dashboard's own charts, as a replay is: its files byte for byte, the runs in data.js.
        for (String name : List.of("uplot.js", "uplot.css", "charts.js", "app.css")) {
            assertThat(Files.readAllBytes(directory.resolve(name))).as(name).isEqualTo(io.zeroscale.daemon.api.Dashboard.file(name));
        }
        assertThat(Files.readString(directory.resolve("index.html")))
                .contains("<table id=\"comparison\">", "<script src=\"charts.js\" defer></script>", "<script src=\"compare.js\" defer></script>");
        assertThat(directory.resolve("compare.js")).isRegularFile();
        String data = Files.readString(directory.resolve("data.js"));
        assertThat(data).startsWith("window.zeroscaleComparison = {");
        com.fasterxml.jackson.databind.JsonNode comparison = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(data.substring(data.indexOf('{'), data.lastIndexOf(';')));
        com.fasterxml.jackson.databind.JsonNode policies = comparison.path("policies");
        assertThat(policies).hasSize(3);
        com.fasterxml.jackson.databind.JsonNode adaptiveRun = policies.get(2);
        assertThat(adaptiveRun.path("policy").asText()).isEqualTo("adaptive");
        assertThat(adaptiveRun.path("metrics").path("requests").asLong()).isEqualTo(192);
        assertThat(adaptiveRun.path("metrics").path("coldStarts").asLong()).isEqualTo(adaptive[1]);
        assertThat(adaptiveRun.path("steps").toString()).contains("pre-wake: next request expected from");
        // Each run's replicas as observed when they changed: up to one ready replica, zero at the end.
        List<Integer> ready = new java.util.ArrayList<>();
        policies.get(1).path("points").forEach(point -> ready.add(point.path("ready").asInt()));
        assertThat(ready).contains(1).endsWith(0);

        // No PNG and no single file: a directory is asked for.
        Result png = run("simulate", "-c", SIMULATE.toString(), "-t", "timer", "-s", "../examples/timer-history.csv",
                "--compare", "adaptive", "-o", temp.resolve("compare.png").toString());
        assertThat(png.status()).isEqualTo(2);
        assertThat(png.err()).contains("--out: " + temp.resolve("compare.png") + " is a file name; give a directory");

        Result unknownPolicy = run("simulate", "-c", SIMULATE.toString(), "-t", "timer", "-s", "../examples/timer-history.csv",
                "--compare", "fixed:1m,sometimes");
        assertThat(unknownPolicy.status()).isEqualTo(2);
        assertThat(unknownPolicy.err()).contains("unknown policy 'sometimes'; use fixed:DURATION (e.g. fixed:5m), adaptive, "
                + "adaptive-histogram (adaptive without the seasonal forecast) or configured");

        Result noRequests = run("simulate", "-c", SIMULATE.toString(), "-t", "timer", "-s", SERIES.toString(), "--compare", "adaptive");
        assertThat(noRequests.status()).isEqualTo(2);
        assertThat(noRequests.err()).contains("has no 'requests' column");
    }

    @Test
    void historyExportWritesOneCsvThatSimulateReplaysAndImportPutsItBack() throws Exception {
        Path data = temp.resolve("data");
        Path days = data.resolve("state/history/timer");
        Files.createDirectories(days);
        Files.writeString(days.resolve("2026-01-05.csv"), "time,requests\n2026-01-05T09:00:00Z,1\n2026-01-05T09:15:00Z,2\n");
        Files.writeString(days.resolve("2026-01-06.csv"), "time,requests\n2026-01-06T00:00:00Z,1\n");
        Path file = temp.resolve("out/timer.csv");

        Result exported = run("history", "export", "-c", SIMULATE.toString(), "--set", "data-dir=" + data, "-t", "timer", "-o", file.toString());
        assertThat(exported.status()).as(exported.err()).isZero();
        assertThat(exported.err()).isEqualTo("zeroscale: wrote target timer's arrival history (3 minute(s) with 4 request(s), "
                + "2026-01-05T09:00:00Z to 2026-01-06T00:00:00Z) to " + file + "\n");
        assertThat(file).content().isEqualTo("time,requests\n2026-01-05T09:00:00Z,1\n2026-01-05T09:15:00Z,2\n2026-01-06T00:00:00Z,1\n");
        assertThat(file.resolveSibling("timer.csv.partial")).doesNotExist();

        // The one file is a series simulate replays.
        Result simulated = run("simulate", "-c", SIMULATE.toString(), "-t", "timer", "-s", file.toString(), "--compare", "fixed:1m");
        assertThat(simulated.status()).as(simulated.err()).isZero();
        assertThat(numbers(simulated.out().lines().toList().get(1))[0]).as(simulated.out()).isEqualTo(4);

        // Into another data-dir: day by day, where the daemon reads it.
        Path other = temp.resolve("other");
        Result imported = run("history", "import", "-c", SIMULATE.toString(), "--set", "data-dir=" + other, "-t", "timer", "-i",
                file.toString());
        assertThat(imported.status()).as(imported.err()).isZero();
        assertThat(imported.err()).startsWith("zeroscale: imported " + file + " into target timer's arrival history: 2 day(s) replaced, "
                + "2026-01-05 to 2026-01-06\n").contains("it deletes them when it reads the history");
        assertThat(other.resolve("state/history/timer/2026-01-05.csv")).content()
                .isEqualTo("time,requests\n2026-01-05T09:00:00Z,1\n2026-01-05T09:15:00Z,2\n");
        assertThat(other.resolve("state/history/timer/2026-01-06.csv")).content().isEqualTo("time,requests\n2026-01-06T00:00:00Z,1\n");

        // Not while a daemon holds the data-dir; a bad file names its line and writes nothing; a typo in the target is named.
        try (DataDirectoryLock held = DataDirectoryLock.acquire(other, java.time.Clock.systemUTC())) {
            Result refused = run("history", "import", "-c", SIMULATE.toString(), "--set", "data-dir=" + other, "-t", "timer", "-i",
                    file.toString());
            assertThat(refused.status()).isNotZero();
            assertThat(refused.err()).startsWith("zeroscale: data-dir " + held.directory() + " is in use");
        }
        Path bad = temp.resolve("bad.csv");
        Files.writeString(bad, "time,requests\n2026-02-01T00:00:00Z,1\n2026-02-01T00:01:00Z,many\n");
        Result invalid = run("history", "import", "-c", SIMULATE.toString(), "--set", "data-dir=" + other, "-t", "timer", "-i", bad.toString());
        assertThat(invalid.status()).isEqualTo(2);
        assertThat(invalid.err()).startsWith("zeroscale: " + bad + " line 3: ");
        assertThat(other.resolve("state/history/timer/2026-02-01.csv")).doesNotExist();
        Result typo = run("history", "export", "-c", SIMULATE.toString(), "--set", "data-dir=" + data, "-t", "timr", "-o", file.toString());
        assertThat(typo.status()).isEqualTo(2);
        assertThat(typo.err()).startsWith("zeroscale: --target: no target named 'timr' in ");
        Result none = run("history", "export", "-c", SIMULATE.toString(), "--set", "data-dir=" + temp.resolve("empty"), "-t", "timer",
                "-o", file.toString());
        assertThat(none.status()).isEqualTo(2);
        assertThat(none.err()).startsWith("zeroscale: target timer has no arrival history in ");
    }

    /** requests, cold starts and idle replica-seconds of a comparison line. */
    private static long[] numbers(String line) {
        String[] cells = line.trim().split("\\s+");
        return new long[] {Long.parseLong(cells[1]), Long.parseLong(cells[2]), Long.parseLong(cells[5])};
    }

    @Test
    void statusAsksARunningDaemon() {
        Map<String, String> overrides = Map.of("gateway.listen", "127.0.0.1:0", "api.listen", "127.0.0.1:0",
                "data-dir", temp.toString());
        try (Daemon daemon = Daemon.create(new ConfigLoader(Map.<String, String>of()::get).load(QUICKSTART, overrides), Plugins.load(null))) {
            daemon.start();
            Result status = run("status", "--api", "http://127.0.0.1:" + daemon.apiPort());
            assertThat(status.status()).as(status.err()).isZero();
            assertThat(status.out().lines().toList()).hasSize(2);
            assertThat(status.out()).startsWith("TARGET ").contains("hello", "ZERO", "HOLD");
        }
        Result down = run("status", "--api", "http://127.0.0.1:1");
        assertThat(down.status()).isEqualTo(1);
        assertThat(down.err()).startsWith("zeroscale: no daemon answers at http://127.0.0.1:1");
    }
}
