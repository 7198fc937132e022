package io.courier.cli;

import io.courier.Courier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code courier dlq purge URL GROUP --yes}: removes the selected dead letters for good. */
@Command(name = "purge", mixinStandardHelpOptions = true,
        description = "Remove the selected dead letters of GROUP for good (all of those read, without --id or --reason-contains). Needs --yes.",
        footer = {"%nExample:%n  courier dlq purge amqp://guest:guest@127.0.0.1:5672/ orders --reason-contains 'not retryable' --yes"})
final class DlqPurgeCommand extends DlqChange {
    @Option(names = "--yes", description = "Required (except with --dry-run): confirms that these dead letters are lost.")
    boolean yes;

    @Override
    void validate() {
        if (!yes && !dryRun) throw new IllegalArgumentException("purge loses the selected dead letters of " + target.group + " for good; add --yes to confirm (or --dry-run to see which)");
    }

    @Override
    Outcome change(Courier courier, String deadLetters, HeldDeadLetters.Letter letter, boolean dryRun) {
        if (!dryRun) letter.remove();
        return Outcome.done(dryRun ? "would-purge" : "purged");
    }
}
