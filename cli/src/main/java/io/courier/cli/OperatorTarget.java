package io.courier.cli;

import java.util.List;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The arguments every operator command takes: {@code URL GROUP… [--json] [--verbose]} (a picocli mixin). */
final class OperatorTarget {
    @Parameters(index = "0", description = "Transport URL, e.g. amqp://guest:guest@127.0.0.1:5672/ (credentials are never printed).")
    String url;

    @Parameters(index = "1..*", arity = "1..*", description = "Groups.")
    List<String> groups;

    @Option(names = "--json", description = "One JSON object per group, one per line (unknown counts are null).")
    boolean json;

    @Option(names = {"-v", "--verbose"}, description = "INFO logging and stack traces on errors.")
    boolean verbose;
}
