package io.courier.cli;

import io.courier.Courier;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The arguments every operator command takes: {@code URL … [--json] [--verbose]} (a picocli mixin), and opening the
 * transport they name. The URL is checked before anything connects, so a malformed one exits 2 at once.
 */
class OperatorTarget {
    @Parameters(index = "0", paramLabel = "URL", description = "Transport URL, e.g. amqp://guest:guest@127.0.0.1:5672/ (credentials are never printed).")
    String url;

    @Option(names = "--json", description = "Machine-readable output: one JSON object per line.")
    boolean json;

    @Option(names = {"-v", "--verbose"}, description = "INFO logging and stack traces on errors.")
    boolean verbose;

    /** Checks the URL, then connects ({@link io.courier.TransportUnavailableException} and friends exit 3). */
    Courier connect() {
        TransportUrls.check(url);
        return Courier.connect(url);
    }
}
