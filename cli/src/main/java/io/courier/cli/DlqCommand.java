package io.courier.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code courier dlq list|show|replay|purge URL GROUP}: the dead letters of a group. */
@Command(name = "dlq", mixinStandardHelpOptions = true,
        description = {"Look at, replay or purge the dead letters of a group (in GROUP.dlq unless --dead-letter-group says otherwise).",
                "Dead letters are read by holding them unsettled until the listing is complete; those not replayed or purged go back to the dead-letter group."},
        subcommands = {DlqListCommand.class, DlqShowCommand.class, DlqReplayCommand.class, DlqPurgeCommand.class})
final class DlqCommand implements Runnable {
    @ParentCommand
    CourierCli cli;

    @Spec
    CommandSpec spec;

    @Override
    public void run() { spec.commandLine().usage(cli.out); }
}
