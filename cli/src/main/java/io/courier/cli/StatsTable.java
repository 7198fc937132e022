package io.courier.cli;

import io.courier.spi.GroupStats;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * How {@code courier stats} prints: a table (a count the broker cannot tell is {@code unknown}) or, with
 * {@code --json}, one JSON object per group. With {@code --watch} each tick adds its number, its time and the
 * {@link StatsChange change} since the previous tick; a change not known yet (first tick) is {@code -} in the table
 * and {@code null} in JSON, like the change of an unknown count.
 */
final class StatsTable {
    private static final String ONCE = "%-30s %10s %10s %10s %12s %10s%n";
    private static final String WATCH = "%-30s %10s %8s %9s %10s %10s %12s %9s %10s%n";

    private final PrintStream out;
    private final boolean json;

    StatsTable(PrintStream out, boolean json) {
        this.out = out;
        this.json = json;
    }

    /** The header of a one-shot table. */
    void header() {
        if (!json) out.printf(ONCE, "group", "backlog", "in-flight", "delayed", "dead-letters", "consumers");
    }

    /** One group of a one-shot table. */
    void row(GroupStats s) {
        if (json) out.println(counts(s));
        else out.printf(ONCE, s.group(), Operators.text(s.backlog()), Operators.text(s.inFlight()), Operators.text(s.delayed()),
                Operators.text(s.deadLetters()), Operators.text(s.consumers()));
    }

    /** The lines that start a tick of {@code --watch}: its time, number and interval, and the column names. */
    void tickHeader(int tick, Instant at, Duration interval) {
        if (json) return;
        if (tick > 1) out.println();
        out.println("-- " + at.truncatedTo(ChronoUnit.SECONDS) + "  tick " + tick + ", every " + interval(interval) + "; Ctrl-C to stop");
        out.printf(WATCH, "group", "backlog", "change", "msg/s", "in-flight", "delayed", "dead-letters", "dl-change", "consumers");
    }

    /** One group of a tick of {@code --watch}, with its change since the previous tick. */
    void row(int tick, Instant at, GroupStats s, StatsChange c) {
        if (json) {
            out.println(counts(s).field("tick", tick).field("at", at.toString()).field("backlogChange", c.backlog())
                    .field("backlogPerSecond", c.backlogPerSecond()).field("deadLettersChange", c.deadLetters()));
        } else {
            out.printf(WATCH, s.group(), Operators.text(s.backlog()), change(c, c.backlog()), rate(c, c.backlogPerSecond()),
                    Operators.text(s.inFlight()), Operators.text(s.delayed()), Operators.text(s.deadLetters()), change(c, c.deadLetters()),
                    Operators.text(s.consumers()));
        }
        out.flush();
    }

    private static JsonLine counts(GroupStats s) {
        return new JsonLine().field("group", s.group()).field("backlog", s.backlog()).field("inFlight", s.inFlight())
                .field("delayed", s.delayed()).field("deadLetters", s.deadLetters()).field("consumers", s.consumers());
    }

    private static String change(StatsChange c, OptionalLong n) {
        if (c.first()) return "-";
        if (n.isEmpty()) return "unknown";
        return n.getAsLong() > 0 ? "+" + n.getAsLong() : Long.toString(n.getAsLong());
    }

    private static String rate(StatsChange c, OptionalDouble r) {
        if (c.first()) return "-";
        if (r.isEmpty()) return "unknown";
        double v = Math.round(r.getAsDouble() * 10) / 10.0;
        return v == 0 ? "0.0" : String.format(Locale.ROOT, "%+.1f", v);
    }

    /** {@code 500ms}, {@code 2s}, {@code 1.5s}. */
    static String interval(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) return ms + "ms";
        return ms % 1000 == 0 ? ms / 1000 + "s" : String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
    }
}
