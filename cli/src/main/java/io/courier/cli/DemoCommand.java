package io.courier.cli;

import io.courier.http.hub.CourierHub;
import io.courier.http.hub.HubOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code courier demo}: a server, a few workers, retries, a dead letter and a worker stopped mid-way; then a table. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Send tasks to a group and handle them with several workers: some fail and are retried, one is "
                + "dead-lettered, one worker is stopped mid-way. Prints what happened; exits 1 if any task was lost.")
final class DemoCommand implements Callable<Integer> {
    /** The transport when {@code --transport} is not given: a hub embedded in this process, journal in a temporary directory. */
    static final String DEFAULT_TRANSPORT = "hub";

    @ParentCommand
    CourierCli cli;

    @Option(names = "--transport", paramLabel = "URL", defaultValue = DEFAULT_TRANSPORT, description = "Transport URL, or 'hub' for a durable hub embedded in this process (journal in a temporary directory, reached over HTTP). Default: ${DEFAULT-VALUE}.")
    String transport;

    @Option(names = "--tasks", paramLabel = "N", defaultValue = "1000", description = "Tasks to send. Default: ${DEFAULT-VALUE}.")
    int tasks;

    @Option(names = "--workers", paramLabel = "N", defaultValue = "3", description = "Workers (group members). Default: ${DEFAULT-VALUE}.")
    int workers;

    @Option(names = "--concurrency", paramLabel = "N", defaultValue = "8", description = "Handlers running at once per worker. Default: ${DEFAULT-VALUE}.")
    int concurrency;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "120", description = "Give up waiting after this long; unfinished tasks count as lost. Default: ${DEFAULT-VALUE}.")
    int timeoutSeconds;

    @Option(names = "--trace", description = "Trace the run with OpenTelemetry (in memory) and print the span tree of the poison task at the end.")
    boolean trace;

    @Option(names = {"-v", "--verbose"}, description = "INFO logging and stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws InterruptedException, IOException {
        Demo.Settings checked = settings(transport); // bad options fail before a hub starts
        if (!DEFAULT_TRANSPORT.equals(transport)) return run(checked);
        Path dir = Files.createTempDirectory("courier-demo-hub");
        try (CourierHub hub = CourierHub.start(HubOptions.defaults(0, dir))) {
            cli.err.println("demo on an embedded hub at " + hub.url() + " (journal in " + dir + ")");
            return run(settings(hub.url()));
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private Demo.Settings settings(String url) {
        return new Demo.Settings(url, tasks, workers, concurrency, Duration.ofSeconds(timeoutSeconds), trace);
    }

    private int run(Demo.Settings settings) throws InterruptedException {
        TransportUrls.check(settings.transport());
        DemoReport report = new Demo(settings, cli.err).run();
        report.print(cli.out);
        return report.lost() > 0 ? CourierCli.FAILED : 0;
    }
}
