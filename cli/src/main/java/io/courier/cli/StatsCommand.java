package io.courier.cli;

import io.courier.Courier;
import io.courier.spi.Admin;
import io.courier.spi.GroupStats;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code courier stats URL GROUP…}: backlog, in flight, delayed, dead letters and consumers of each group. */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = "Print the counts of groups as the broker reports them; a count the broker cannot tell is 'unknown'.",
        footer = {"%nExample:%n  courier stats amqp://guest:guest@127.0.0.1:5672/ orders billing --json"})
final class StatsCommand implements Callable<Integer> {
    @ParentCommand
    CourierCli cli;

    @picocli.CommandLine.Mixin
    GroupsTarget target;

    @Override
    public Integer call() {
        try (Courier courier = target.connect()) {
            Admin admin = Operators.admin(courier);
            if (!target.json) cli.out.printf("%-30s %10s %10s %10s %12s %10s%n", "group", "backlog", "in-flight", "delayed", "dead-letters", "consumers");
            for (String group : target.groups) print(admin.stats(group));
        }
        return 0;
    }

    private void print(GroupStats s) {
        if (target.json) {
            cli.out.println("{\"group\":" + Operators.quote(s.group()) + ",\"backlog\":" + Operators.json(s.backlog())
                    + ",\"inFlight\":" + Operators.json(s.inFlight()) + ",\"delayed\":" + Operators.json(s.delayed())
                    + ",\"deadLetters\":" + Operators.json(s.deadLetters()) + ",\"consumers\":" + Operators.json(s.consumers()) + "}");
        } else {
            cli.out.printf("%-30s %10s %10s %10s %12s %10s%n", s.group(), Operators.text(s.backlog()), Operators.text(s.inFlight()),
                    Operators.text(s.delayed()), Operators.text(s.deadLetters()), Operators.text(s.consumers()));
        }
    }
}
