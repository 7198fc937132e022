package io.courier.cli;

import io.courier.conformance.ConformanceRunner;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code courier conformance URL}: runs the conformance suite (C1–C19) against any transport URL. */
@Command(name = "conformance", mixinStandardHelpOptions = true,
        description = "Run the conformance suite (clauses C1-C19) against a transport URL and print the clause table.")
final class ConformanceCommand implements Callable<Integer> {
    @ParentCommand
    CourierCli cli;

    @Parameters(index = "0", paramLabel = "URL", description = "Transport URL, e.g. mem://, kafka://127.0.0.1:9092, amqp://guest:guest@127.0.0.1:5672")
    String url;

    @Option(names = "--restart-command", paramLabel = "CMD",
            description = "Shell command that restarts the broker, for the clauses that need a restart (e.g. 'scripts/brokers restart kafka').")
    String restartCommand;

    @Option(names = "--kafka-proxy-listener", paramLabel = "PORT",
            description = "kafka:// only: the port of a second listener of the broker that advertises 127.0.0.1:<another port>; the "
                    + "connection-cut tests run a TCP proxy on that advertised port in front of it (scripts/brokers' Kafka: 9094, advertised as 19094). "
                    + "Default: the broker's own listeners are read and such a listener is used if there is one; 0: none (the cut tests are then not-run).")
    Integer kafkaProxyListener;

    @Option(names = "--report", paramLabel = "FILE.json", description = "Also write the results as JSON to this file.")
    Path report;

    @Option(names = "--repeat", paramLabel = "N", defaultValue = "1", description = "Run the suite N times (flakiness check). Default: ${DEFAULT-VALUE}.")
    int repeat;

    @Option(names = {"-v", "--verbose"}, description = "INFO logging and stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() {
        if (repeat < 1) throw new IllegalArgumentException("--repeat must be at least 1, got " + repeat);
        TransportUrls.check(url);
        int listener = kafkaProxyListener != null ? kafkaProxyListener : 0;
        if (kafkaProxyListener == null && url.startsWith("kafka:")) {
            listener = io.courier.kafka.KafkaListeners.proxiedListener(url).orElse(0);
            cli.err.println(listener != 0
                    ? "kafka: the connection-cut tests go through the broker's listener on port " + listener + ", a TCP proxy on the port it advertises (--kafka-proxy-listener to choose)"
                    : "kafka: found no broker listener advertised on 127.0.0.1 on another port (or the broker did not answer): the connection-cut tests are not-run (see --kafka-proxy-listener)");
        }
        return ConformanceRunner.run(url, restartCommand, listener, report, repeat, cli.out);
    }
}
