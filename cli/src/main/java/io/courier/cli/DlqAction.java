package io.courier.cli;

import io.courier.Courier;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * What every {@code dlq} subcommand shares: {@code URL GROUP [--id ID]… [--reason-contains S] [--limit N]}, reading
 * the dead letters ({@link HeldDeadLetters}), selecting some, and reporting ids asked for but not found (exit 1).
 * A subclass says what to do with the selected ones; every dead letter it does not remove goes back at the end.
 */
abstract class DlqAction implements Callable<Integer> {
    @ParentCommand
    DlqCommand dlq;

    @Mixin
    GroupTarget target;

    @Option(names = "--dead-letter-group", paramLabel = "G", description = "Where the dead letters are, if the subscription set another deadLetterGroup. Default: GROUP.dlq.")
    String deadLetterGroup;

    @Option(names = "--id", paramLabel = "ID", description = "Only the dead letter with this message id; repeat for more.")
    List<String> ids = new ArrayList<>();

    @Option(names = "--reason-contains", paramLabel = "S", description = "Only dead letters whose courier-dead-letter-reason contains S.")
    String reasonContains;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "1000", description = "Read at most N dead letters. Default: ${DEFAULT-VALUE}.")
    int limit;

    @Option(names = "--wait", paramLabel = "D", defaultValue = "3s", description = "The listing is complete when no further dead letter came for D. Default: ${DEFAULT-VALUE}.")
    String wait;

    /** Checks this subcommand's own options before anything connects (throw IllegalArgumentException: exit 2). */
    void validate() {}

    /** Acts on the selected dead letters; returns the exit code. */
    abstract int act(Courier courier, String deadLetters, List<HeldDeadLetters.Letter> selected);

    @Override
    public final Integer call() throws InterruptedException {
        if (limit < 1) throw new IllegalArgumentException("--limit must be at least 1, got " + limit);
        Duration idle = Operators.duration("--wait", wait);
        String deadLetters = deadLetterGroup != null ? deadLetterGroup : io.courier.Destination.any(target.group).deadLetterGroup();
        io.courier.Destination.any(deadLetters); // a bad name exits 2 before connecting
        validate();
        try (Courier courier = target.connect();
             HeldDeadLetters held = HeldDeadLetters.hold(courier, deadLetters, limit, idle)) {
            List<HeldDeadLetters.Letter> selected = held.letters().stream().filter(this::selected).toList();
            err().println(deadLetters + " on " + courier.url() + ": read " + held.letters().size() + " dead letter(s)"
                    + (held.letters().size() == limit ? " (--limit reached: there may be more)" : "") + ", selected " + selected.size());
            int code = act(courier, deadLetters, selected);
            Set<String> missing = new LinkedHashSet<>(ids);
            held.letters().forEach(l -> missing.remove(l.id()));
            for (String id : missing) err().println("courier: no dead letter with id " + id + " among the " + held.letters().size() + " read from " + deadLetters);
            return missing.isEmpty() ? code : CourierCli.FAILED;
        }
    }

    private boolean selected(HeldDeadLetters.Letter l) {
        if (!ids.isEmpty() && !ids.contains(l.id())) return false;
        return reasonContains == null || (l.reason() != null && l.reason().contains(reasonContains));
    }

    PrintStream out() { return dlq.cli.out; }

    PrintStream err() { return dlq.cli.err; }
}
