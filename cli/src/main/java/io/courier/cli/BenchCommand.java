package io.courier.cli;

import io.courier.bench.BenchMain;
import io.courier.bench.TelemetryCost;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code courier bench}: each transport against its raw client library, same broker, same run. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmark Courier against each broker's raw client library on the same broker, interleaved in one run (medians of --runs).")
final class BenchCommand implements Callable<Integer> {
    @ParentCommand
    CourierCli cli;

    @Option(names = "--transports", split = ",", description = "Transports (kafka,rabbitmq,nats,sqs,http; http = an embedded hub, compared with the fastest raw broker client). Default: every one on the class path.")
    List<String> transports = List.of();

    @Option(names = "--n", defaultValue = "0", description = "Messages per throughput run (default 100,000; SQS 20,000).")
    int n;

    @Option(names = "--size", defaultValue = "1024", description = "Message size in bytes. Default: ${DEFAULT-VALUE}.")
    int size;

    @Option(names = "--rate", defaultValue = "500", description = "Paced rate for latency, msg/s. Default: ${DEFAULT-VALUE}.")
    int rate;

    @Option(names = "--latency-seconds", defaultValue = "10", description = "Length of each latency run. Default: ${DEFAULT-VALUE}.")
    int latencySeconds;

    @Option(names = "--runs", defaultValue = "3", description = "Runs; the table shows medians. Default: ${DEFAULT-VALUE}.")
    int runs;

    @Option(names = "--out", defaultValue = "benchmarks/results.jsonl", description = "JSON lines appended here. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--chart", defaultValue = "benchmarks/ratios.svg", description = "SVG chart of the ratios. Default: ${DEFAULT-VALUE}.")
    Path chart;

    @Option(names = "--telemetry", description = "Instead of raw vs Courier: Courier with metrics and traces on (SimpleMeterRegistry, OpenTelemetry SDK with a no-op exporter) against off, paired per run, order alternating; transports mem (default) or any above; --n default 20,000.")
    boolean telemetry;

    @Option(names = {"-v", "--verbose"}, description = "INFO logging and stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        if (runs < 1 || size < 16 || rate < 1 || latencySeconds < 1) {
            throw new IllegalArgumentException("--runs, --rate and --latency-seconds must be at least 1 and --size at least 16");
        }
        BenchMain.Options options = new BenchMain.Options(transports, n, size, rate, latencySeconds, runs, out, chart);
        return telemetry ? TelemetryCost.run(options, cli.out) : BenchMain.run(options, cli.out);
    }
}
