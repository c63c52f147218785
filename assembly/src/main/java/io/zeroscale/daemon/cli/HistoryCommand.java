package io.zeroscale.daemon.cli;

import static io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID;
import static io.zeroscale.spi.StandardErrorCode.NOT_FOUND;

import io.zeroscale.daemon.config.DaemonConfig;
import io.zeroscale.engine.history.ArrivalHistories;
import io.zeroscale.engine.history.ArrivalHistory;
import io.zeroscale.engine.state.DataDirectoryLock;
import io.zeroscale.engine.state.FileStateStore;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.ZeroscaleException;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code zeroscale history export|import}: a target's arrival history, kept by the engine in the
 * state store under {@code data-dir} one document per UTC day, as one CSV file ({@code
 * time,requests}, the series {@code zeroscale simulate --series} replays) and back.
 */
@Command(name = "history", mixinStandardHelpOptions = true,
        description = {"A target's arrival history (per-minute request counts the daemon keeps under data-dir/state/history)",
            "as one CSV file: 'export' writes it for zeroscale simulate --series or another daemon, 'import' puts one",
            "into the data-dir (while no daemon uses it)."},
        subcommands = {HistoryCommand.Export.class, HistoryCommand.Import.class})
final class HistoryCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** What export and import share: the config options, the target (checked against the config) and the line each prints on success. */
    static final class TargetHistory {
        @Mixin
        ConfigOptions options;

        @Spec(Spec.Target.MIXEE)
        CommandSpec spec;

        @Option(names = {"-t", "--target"}, required = true, paramLabel = "NAME", description = "The target whose history is written.")
        String target = "";

        /** Loads the config and checks that it has the target. */
        DaemonConfig load() {
            DaemonConfig config = options.load();
            options.target(config, target);
            return config;
        }

        void report(String line) {
            spec.commandLine().getErr().println("zeroscale: " + line);
        }
    }

    /** The file store the daemon of {@code config} keeps its state in. */
    static FileStateStore store(DaemonConfig config) {
        Config stateStore = config.stateStore();
        if (stateStore != null) {
            throw new ZeroscaleException(CONFIG_INVALID, "state-store: " + config.source() + " keeps the daemon's state in a state-store"
                    + " plugin; zeroscale history reads and writes the default file store under data-dir only (remove state-store"
                    + " to use it)");
        }
        return new FileStateStore(config.dataDirectory().resolve("state"), Clock.systemUTC());
    }

    static String span(ArrivalHistory history) {
        Instant[] bounds = new Instant[2];
        history.forEachMinute((at, count) -> {
            if (bounds[0] == null) {
                bounds[0] = at;
            }
            bounds[1] = at;
        });
        return history.activeMinutes() + " minute(s) with " + history.arrivals() + " request(s)"
                + (bounds[0] == null ? "" : ", " + bounds[0] + " to " + bounds[1]);
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = {"Writes a target's stored arrival history to one CSV file (time,requests; one row per minute with",
                "requests), which zeroscale simulate --series replays. Reads only: works while the daemon runs (what it",
                "counted in the last minute is written by its next flush). A stored day that cannot be read is an error",
                "naming it; the daemon sets such a day aside when it next reads the history."})
    static final class Export implements Callable<Integer> {
        @Mixin
        TargetHistory history;

        @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE", description = "The CSV file to write (replaced whole).")
        Path file = Path.of("");

        @Override
        public Integer call() throws IOException {
            DaemonConfig config = history.load();
            String target = history.target;
            ArrivalHistory stored;
            try (FileStateStore store = store(config)) {
                stored = ArrivalHistories.read(store, target).orElseThrow(() -> new ZeroscaleException(NOT_FOUND, "target " + target
                        + " has no arrival history in " + store.file(ArrivalHistories.directoryKey(target))
                        + " yet (the daemon writes it once a minute while requests arrive)"));
            }
            Path absolute = file.toAbsolutePath();
            Path parent = absolute.getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            // Written next to the file and moved over it: a reader never sees half a file.
            Path partial = absolute.resolveSibling(absolute.getFileName() + ".partial");
            try (Writer writer = Files.newBufferedWriter(partial, StandardCharsets.UTF_8)) {
                stored.writeCsv(writer);
            }
            Files.move(partial, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            history.report("wrote target " + target + "'s arrival history (" + span(stored) + ") to " + file);
            return 0;
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = {"Puts a CSV arrival history (time,requests, as export writes it) into a target's stored history:",
                "each UTC day the file has rows in replaces that stored day; other days stay. The file is checked whole",
                "before anything is written. Needs the data-dir to itself: stop the daemon first. The daemon keeps the",
                "last 15 days: older days it deletes when it reads the history."})
    static final class Import implements Callable<Integer> {
        @Mixin
        TargetHistory history;

        @Option(names = {"-i", "--in"}, required = true, paramLabel = "FILE", description = "The CSV file to read.")
        Path file = Path.of("");

        @Override
        public Integer call() throws IOException {
            DaemonConfig config = history.load();
            String target = history.target;
            List<LocalDate> days;
            // The daemon's own lock: refused with the running daemon's pid while one uses the data-dir.
            DataDirectoryLock lock = DataDirectoryLock.acquire(config.dataDirectory(), Clock.systemUTC());
            try (FileStateStore store = store(config); Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                days = ArrivalHistories.importCsv(store, target, reader, file.toString());
            } catch (NoSuchFileException e) {
                throw new ZeroscaleException(CONFIG_INVALID, "--in: " + file + " does not exist", e);
            } finally {
                lock.close();
            }
            if (days.isEmpty()) {
                throw new ZeroscaleException(CONFIG_INVALID, "--in: " + file + " has no rows (time,requests); nothing was written");
            }
            history.report("imported " + file + " into target " + target + "'s arrival history: " + days.size()
                    + " day(s) replaced, " + days.getFirst() + " to " + days.getLast());
            LocalDate kept = LocalDate.ofInstant(Instant.now().minus(ArrivalHistory.RETENTION), java.time.ZoneOffset.UTC);
            if (days.getFirst().isBefore(kept)) {
                history.report("note: days before " + kept + " are older than the "
                        + ArrivalHistory.RETENTION.toDays() + " days the daemon keeps; it deletes them when it reads the history"
                        + " (simulate --series reads the exported file at any age)");
            }
            return 0;
        }
    }
}
