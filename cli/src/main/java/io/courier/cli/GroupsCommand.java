package io.courier.cli;

import io.courier.Courier;
import io.courier.spi.Admin;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code courier groups delete URL GROUP… --yes}: removes every broker resource of the groups. */
@Command(name = "groups", mixinStandardHelpOptions = true, description = "Manage groups on a broker.",
        subcommands = GroupsCommand.Delete.class)
final class GroupsCommand implements Runnable {
    @ParentCommand
    CourierCli cli;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() { spec.commandLine().usage(cli.out); }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Remove every broker resource of each group (queues, member/key/retry queues, dead letters, topics, streams, rows). Messages are lost.",
            footer = {"%nExample:%n  courier groups delete nats://127.0.0.1:4222 old-orders --yes"})
    static final class Delete implements Callable<Integer> {
        @ParentCommand
        GroupsCommand groupsCommand;

        @picocli.CommandLine.Mixin
        GroupsTarget target;

        @picocli.CommandLine.Option(names = "--yes", description = "Required: confirms that the messages of these groups may be lost.")
        boolean yes;

        @Override
        public Integer call() {
            if (!yes) throw new IllegalArgumentException("groups delete loses every message of " + target.groups + "; add --yes to confirm");
            try (Courier courier = target.connect()) {
                Admin admin = Operators.admin(courier);
                for (String group : target.groups) {
                    boolean deleted = admin.deleteGroup(group);
                    groupsCommand.cli.out.println(target.json ? "{\"group\":" + Operators.quote(group) + ",\"deleted\":" + deleted + "}"
                            : (deleted ? "deleted " : "absent  ") + group);
                }
            }
            return 0;
        }
    }
}
