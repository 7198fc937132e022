package io.courier.cli;

import io.courier.Courier;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Option;

/**
 * A {@code dlq} subcommand that changes the dead-letter group ({@code replay}, {@code purge}): {@code --dry-run},
 * one printed line per dead letter (what was done, or would be), a progress bar from 100 dead letters on, and exit 1
 * when some could not be changed (they stay in the dead-letter group).
 */
abstract class DlqChange extends DlqAction {
    /** From this many selected dead letters on, a progress bar runs on stderr. */
    static final int PROGRESS_FROM = 100;

    @Option(names = "--dry-run", description = "Print what would be done; change nothing.")
    boolean dryRun;

    /**
     * What happened to one dead letter: an action word ({@code replayed}, {@code would-purge} …) and, for a replay,
     * where it went and as which id (else null); {@code failed} when it could not be changed.
     */
    record Outcome(String action, String to, String as, boolean failed) {
        static Outcome done(String action) { return new Outcome(action, null, null, false); }
    }

    /** Changes one selected dead letter (or, with {@code dryRun}, says what it would do). */
    abstract Outcome change(Courier courier, String deadLetters, HeldDeadLetters.Letter letter, boolean dryRun);

    @Override
    final int act(Courier courier, String deadLetters, List<HeldDeadLetters.Letter> selected) {
        AtomicInteger handled = new AtomicInteger();
        int failed = 0;
        try (ProgressBar progress = selected.size() >= PROGRESS_FROM ? new ProgressBar(err(), selected.size(), handled::get).start() : null) {
            for (HeldDeadLetters.Letter l : selected) {
                Outcome o = change(courier, deadLetters, l, dryRun);
                if (o.failed()) failed++;
                out().println(target.json ? new JsonLine().field("id", l.id()).field("action", o.action()).field("to", o.to()).field("as", o.as())
                        : o.action() + " " + l.id() + (o.to() == null ? "" : " to " + o.to() + " as " + o.as()));
                handled.incrementAndGet();
            }
        }
        if (failed > 0) err().println("courier: " + failed + " dead letter(s) could not be changed and stay in " + deadLetters + " (reasons above)");
        return failed > 0 ? CourierCli.FAILED : 0;
    }
}
