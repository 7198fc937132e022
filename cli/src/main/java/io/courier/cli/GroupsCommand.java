package io.courier.cli;

import io.courier.Courier;
import io.courier.spi.Admin;
import io.courier.spi.GroupListing;
import io.courier.spi.GroupStats;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * {@code courier groups list URL [--prefix P] [--json] [--names-only]}: the groups on the broker with their counts;
 * {@code courier groups delete URL GROUP… --yes}: removes every broker resource of the groups.
 */
@Command(name = "groups", mixinStandardHelpOptions = true, description = "List or delete groups on a broker.",
        subcommands = {GroupsCommand.Listing.class, GroupsCommand.Delete.class})
final class GroupsCommand implements Runnable {
    @ParentCommand
    CourierCli cli;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() { spec.commandLine().usage(cli.out); }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List the groups on the broker, one line per group with its counts as 'stats' prints them ('unknown' where the broker cannot tell).",
                    "A dead-letter group GROUP.dlq is the dead-letters column of GROUP (it is deleted with it), and a line of its own only when GROUP has nothing on the broker.",
                    "Names the broker shortened with a hash (too long for it) are listed as 'opaque': their group cannot be read back."},
            footer = {"%nExamples:%n  courier groups list amqp://guest:guest@127.0.0.1:5672/ --prefix orders",
                    "  courier groups list kafka://127.0.0.1:9092 --json",
                    "  courier groups list sqs://127.0.0.1:9324?region=elasticmq --names-only"})
    static final class Listing implements Callable<Integer> {
        /** From this many groups on, a progress bar on stderr while their counts are read. */
        static final int PROGRESS_FROM = 20;

        @ParentCommand
        GroupsCommand groupsCommand;

        @picocli.CommandLine.Mixin
        OperatorTarget target;

        @picocli.CommandLine.Option(names = "--prefix", paramLabel = "P", description = "Only the groups whose names start with P.")
        String prefix = "";

        @picocli.CommandLine.Option(names = "--names-only", description = "Print the names without reading the counts (one call to the broker).")
        boolean namesOnly;

        @Override
        public Integer call() {
            CourierCli cli = groupsCommand.cli;
            try (Courier courier = target.connect()) {
                Admin admin = Operators.admin(courier);
                GroupListing listing = admin.groups(prefix);
                List<String> rows = rows(listing.groups());
                StatsTable table = new StatsTable(cli.out, target.json);
                if (namesOnly) {
                    for (String g : rows) cli.out.println(target.json ? new JsonLine().field("group", g) : g);
                } else {
                    List<GroupStats> stats = new ArrayList<>();
                    AtomicInteger read = new AtomicInteger();
                    try (ProgressBar progress = rows.size() >= PROGRESS_FROM ? new ProgressBar(cli.err, rows.size(), read::get).start() : null) {
                        for (String g : rows) {
                            stats.add(admin.stats(g));
                            read.incrementAndGet();
                        }
                    }
                    table.header();
                    stats.forEach(table::row);
                }
                for (String name : listing.opaque()) {
                    cli.out.println(target.json ? new JsonLine().field("group", (String) null).field("opaque", name)
                            : "opaque " + name + "  (shortened with a hash: give the full group name to stats or groups delete)");
                }
                cli.err.println(rows.size() + " group(s)" + (listing.opaque().isEmpty() ? "" : " and " + listing.opaque().size() + " opaque name(s)")
                        + " on " + courier.url() + (prefix.isEmpty() ? "" : " with prefix '" + prefix + "'"));
            }
            return 0;
        }

        /**
         * The groups to print: {@code g.dlq} is left out when {@code g} is listed too, since {@code stats g} counts it
         * as the dead letters of {@code g} and {@code groups delete g} removes it.
         */
        static List<String> rows(List<String> groups) {
            Set<String> all = new HashSet<>(groups);
            return groups.stream().filter(g -> !(g.endsWith(".dlq") && all.contains(g.substring(0, g.length() - ".dlq".length())))).toList();
        }
    }

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
