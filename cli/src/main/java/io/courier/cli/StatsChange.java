package io.courier.cli;

import io.courier.spi.GroupStats;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * The change of a group's counts between two ticks of {@code courier stats --watch}: the backlog's change and its
 * rate in messages per second (positive while the backlog grows, negative while it drains), and the dead letters'
 * change. Unknown when either count is unknown, and on the first tick ({@link #first}).
 *
 * @param first             true on the first tick: nothing to compare with
 * @param backlog           backlog now less backlog at the previous tick
 * @param backlogPerSecond  that change divided by the seconds between the two reads
 * @param deadLetters       dead letters now less dead letters at the previous tick
 */
record StatsChange(boolean first, OptionalLong backlog, OptionalDouble backlogPerSecond, OptionalLong deadLetters) {

    /** A group's counts and when they were read. */
    record Sample(GroupStats stats, Instant at) {}

    /** The change from {@code before} (null on the first tick) to {@code now}. */
    static StatsChange between(Sample before, Sample now) {
        if (before == null) return new StatsChange(true, OptionalLong.empty(), OptionalDouble.empty(), OptionalLong.empty());
        OptionalLong backlog = minus(now.stats().backlog(), before.stats().backlog());
        long millis = Duration.between(before.at(), now.at()).toMillis();
        OptionalDouble rate = backlog.isPresent() && millis > 0 ? OptionalDouble.of(backlog.getAsLong() * 1000.0 / millis) : OptionalDouble.empty();
        return new StatsChange(false, backlog, rate, minus(now.stats().deadLetters(), before.stats().deadLetters()));
    }

    private static OptionalLong minus(OptionalLong a, OptionalLong b) {
        return a.isPresent() && b.isPresent() ? OptionalLong.of(a.getAsLong() - b.getAsLong()) : OptionalLong.empty();
    }
}
