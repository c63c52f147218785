package io.zeroscale.daemon.cli;

import io.zeroscale.daemon.Version;
import io.zeroscale.spi.ErrorType;
import io.zeroscale.spi.ZeroscaleException;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code zeroscale}: the daemon's command line. */
@Command(
        name = "zeroscale",
        mixinStandardHelpOptions = true,
        versionProvider = ZeroscaleCommand.VersionProvider.class,
        description = "Scale workloads to zero when idle and wake them the moment a request arrives.",
        subcommands = {RunCommand.class, ValidateCommand.class, SimulateCommand.class, StatusCommand.class, HistoryCommand.class,
            CommandLine.HelpCommand.class},
        footer = {"", "Exit status: 0 success, 1 failure, 2 bad usage or invalid config."})
public final class ZeroscaleCommand implements Runnable {
    /** Bad usage or an invalid config: a user error. */
    static final int EXIT_USAGE = 2;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        // The default charset, as PrintWriter(OutputStream) used implicitly: named so it is a choice.
        PrintWriter out = new PrintWriter(System.out, true, Charset.defaultCharset());
        PrintWriter err = new PrintWriter(System.err, true, Charset.defaultCharset());
        int status = execute(out, err, args);
        out.flush();
        err.flush();
        System.exit(status);
    }

    /** Runs the command line with the given output streams; returns the exit status. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine commandLine = new CommandLine(new ZeroscaleCommand());
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setExecutionExceptionHandler((exception, line, parseResult) -> {
            if (exception instanceof ZeroscaleException zeroscale) {
                line.getErr().println("zeroscale: " + zeroscale.getMessage().replace("\n", "\nzeroscale: "));
                return zeroscale.errorCode().type() == ErrorType.USER_ERROR ? EXIT_USAGE : 1;
            }
            throw exception;
        });
        return commandLine.execute(args);
    }

    /** The version from the build. */
    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"zeroscale " + Version.get(), "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"};
        }
    }
}
