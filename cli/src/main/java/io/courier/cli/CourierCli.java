package io.courier.cli;

import io.courier.CourierException;
import io.courier.InvalidMessageException;
import io.courier.InvalidUrlException;
import io.courier.PayloadTooLargeException;
import io.courier.TransportUnavailableException;
import io.courier.UnknownSchemeException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code ./courier}. Subcommands: {@code hub}, {@code demo}, {@code send}, {@code tail}, {@code stats},
 * {@code dlq}, {@code groups list|delete}, {@code conformance}, {@code sim} and {@code bench}.
 *
 * <p>Errors end with one line on stderr, {@code courier: <problem and fix>}, and a non-zero exit code; the stack
 * trace only with {@code --verbose}. Logging goes to stderr through slf4j-simple at WARN (INFO with
 * {@code --verbose}), so that tables on stdout stay readable.
 */
@Command(name = "courier", mixinStandardHelpOptions = true, version = "courier 0.1.0-SNAPSHOT",
        description = "Queue-agnostic message transport: try it (demo) and check a transport against the contract (conformance).",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:success", "1:the command found a failure (a task lost, a clause failed)",
                "2:bad input (option, URL, scheme, parameter, message): the message says what to fix",
                "3:the transport could not be used (broker unreachable, credentials refused, ...)"},
        subcommands = {HubCommand.class, DemoCommand.class, SendCommand.class, TailCommand.class, StatsCommand.class, DlqCommand.class, GroupsCommand.class, ConformanceCommand.class, SimCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class CourierCli implements Runnable {
    /** Exit code: the command ran and found a failure (demo lost messages, clauses failed). */
    public static final int FAILED = 1;
    /** Exit code: bad input (unknown option, malformed URL, unknown scheme, invalid parameter). */
    public static final int BAD_INPUT = 2;
    /** Exit code: the transport or broker could not be used (unreachable, refused credentials, …). */
    public static final int TRANSPORT_ERROR = 3;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /** Where commands print results (stdout) and progress/errors (stderr). */
    final PrintStream out;
    final PrintStream err;

    CourierCli(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** Without a subcommand: print the usage. */
    @Override
    public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

    public static void main(String[] args) {
        configureLogging(isVerbose(args));
        System.exit(execute(args, System.out, System.err));
    }

    /** Runs the CLI with these arguments and streams; returns the exit code (for tests and embedding). */
    public static int execute(String[] args, PrintStream out, PrintStream err) {
        boolean verbose = isVerbose(args);
        CommandLine cli = new CommandLine(new CourierCli(out, err));
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        cli.setParameterExceptionHandler((e, a) -> {
            err.println("courier: " + e.getMessage());
            e.getCommandLine().usage(err);
            return BAD_INPUT;
        });
        cli.setExecutionExceptionHandler((thrown, commandLine, parseResult) -> {
            Throwable e = unwrap(thrown);
            err.println("courier: " + messageOf(e, verbose));
            if (verbose) thrown.printStackTrace(err);
            return exitCodeOf(e);
        });
        return cli.execute(args);
    }

    /** The exit code for an error that ended a command. */
    static int exitCodeOf(Throwable e) {
        if (e instanceof InvalidUrlException || e instanceof UnknownSchemeException || e instanceof IllegalArgumentException
                || e instanceof InvalidMessageException || e instanceof PayloadTooLargeException) return BAD_INPUT;
        if (e instanceof CourierException) return TRANSPORT_ERROR;
        return FAILED;
    }

    /** The error inside the wrappers of asynchronous code ({@code CompletableFuture.join()} and the like). */
    static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) e = e.getCause();
        return e;
    }

    /** One line: Courier's messages already name the problem and the fix; anything else gets its type. */
    static String messageOf(Throwable e, boolean verbose) {
        String m = e.getMessage() == null ? null : e.getMessage().replace('\n', ' ');
        if (e instanceof TransportUnavailableException) {
            // the library names the broker and the problem; how to start one locally is the CLI's to say
            return (m == null ? e.getClass().getSimpleName() : m) + " (in a Courier checkout, local brokers start with: scripts/brokers up)";
        }
        if (e instanceof CourierException || e instanceof IllegalArgumentException) {
            return m == null ? e.getClass().getSimpleName() : m;
        }
        return e.getClass().getName() + (m == null ? "" : ": " + m) + (verbose ? "" : " (run again with --verbose for the stack trace)");
    }

    static boolean isVerbose(String[] args) {
        return List.of(args).contains("--verbose") || List.of(args).contains("-v");
    }

    /** slf4j-simple reads these once, at its first use: call before anything logs. */
    static void configureLogging(boolean verbose) {
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "warn");
        setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
        setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
        setIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
        setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) System.setProperty(key, value);
    }
}
