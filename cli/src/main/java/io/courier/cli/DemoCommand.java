package io.courier.cli;

import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code courier demo}: a server, a few workers, retries, a dead letter and a worker stopped mid-way; then a table. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Send tasks to a group and handle them with several workers: some fail and are retried, one is "
                + "dead-lettered, one worker is stopped mid-way. Prints what happened; exits 1 if any task was lost.")
final class DemoCommand implements Callable<Integer> {
    /** The transport when {@code --transport} is not given. */
    static final String DEFAULT_TRANSPORT = "mem://";

    @ParentCommand
    CourierCli cli;

    @Option(names = "--transport", paramLabel = "URL", defaultValue = DEFAULT_TRANSPORT, description = "Transport URL. Default: ${DEFAULT-VALUE}.")
    String transport;

    @Option(names = "--tasks", paramLabel = "N", defaultValue = "1000", description = "Tasks to send. Default: ${DEFAULT-VALUE}.")
    int tasks;

    @Option(names = "--workers", paramLabel = "N", defaultValue = "3", description = "Workers (group members). Default: ${DEFAULT-VALUE}.")
    int workers;

    @Option(names = "--concurrency", paramLabel = "N", defaultValue = "8", description = "Handlers running at once per worker. Default: ${DEFAULT-VALUE}.")
    int concurrency;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "120", description = "Give up waiting after this long; unfinished tasks count as lost. Default: ${DEFAULT-VALUE}.")
    int timeoutSeconds;

    @Option(names = {"-v", "--verbose"}, description = "INFO logging and stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws InterruptedException {
        Demo.Settings settings = new Demo.Settings(transport, tasks, workers, concurrency, Duration.ofSeconds(timeoutSeconds));
        TransportUrls.check(transport);
        DemoReport report = new Demo(settings, cli.err).run();
        report.print(cli.out);
        return report.lost() > 0 ? CourierCli.FAILED : 0;
    }
}
