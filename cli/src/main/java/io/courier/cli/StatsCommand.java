package io.courier.cli;

import io.courier.Courier;
import io.courier.spi.Admin;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code courier stats URL GROUP… [--watch [INTERVAL]] [--ticks N]}: backlog, in flight, delayed, dead letters and
 * consumers of each group; with {@code --watch}, again every interval with the change since the previous tick
 * ({@link StatsWatch}), until Ctrl-C or SIGTERM, which end it with exit 0 (a shutdown hook lets the tick being
 * printed finish, closes the transport and halts with 0 instead of the JVM's 130/143).
 */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = {"Print the counts of groups as the broker reports them; a count the broker cannot tell is 'unknown'.",
                "--watch prints them again every INTERVAL (default 2s) with the change since the previous tick: the backlog's change and "
                        + "rate (msg/s: positive while it grows, negative while it drains) and the dead letters' change; Ctrl-C stops it (exit 0)."},
        footer = {"%nExamples:%n  courier stats amqp://guest:guest@127.0.0.1:5672/ orders billing --json",
                "  courier stats kafka://127.0.0.1:9092 orders --watch 5s",
                "  courier stats http://127.0.0.1:7070 orders --watch 1s --ticks 3 --json"})
final class StatsCommand implements Callable<Integer> {
    /** The shortest {@code --watch} interval: shorter only loads the broker. */
    static final Duration MIN_INTERVAL = Duration.ofMillis(100);

    @ParentCommand
    CourierCli cli;

    @picocli.CommandLine.Mixin
    GroupsTarget target;

    @Option(names = "--watch", arity = "0..1", fallbackValue = "2s", paramLabel = "INTERVAL",
            description = "Print again every INTERVAL (default 2s, at least 100ms) until Ctrl-C. Put the groups before it, or write --watch=5s.")
    String watch;

    @Option(names = "--ticks", paramLabel = "N", description = "With --watch: stop after N ticks (exit 0), for scripts.")
    Integer ticks;

    @Override
    public Integer call() throws InterruptedException {
        Duration interval = watch == null ? null : interval(watch);
        if (ticks != null && interval == null) throw new IllegalArgumentException("--ticks " + ticks + " needs --watch: add --watch [INTERVAL]");
        if (ticks != null && ticks < 1) throw new IllegalArgumentException("--ticks must be 1 or more, got " + ticks);
        StatsTable table = new StatsTable(cli.out, target.json);
        if (interval == null) {
            try (Courier courier = target.connect()) {
                Admin admin = Operators.admin(courier);
                table.header();
                for (String group : target.groups) table.row(admin.stats(group));
            }
            return 0;
        }
        return watch(interval, table);
    }

    private int watch(Duration interval, StatsTable table) throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1), done = new CountDownLatch(1);
        Thread onSignal = new Thread(() -> {
            stop.countDown();
            try {
                if (done.await(10, TimeUnit.SECONDS)) { // the tick being printed finished, the transport is closed
                    cli.out.flush();
                    cli.err.flush();
                    Runtime.getRuntime().halt(0); // stopping a watch is its normal end
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "courier-stats-stop");
        Runtime.getRuntime().addShutdownHook(onSignal);
        try (Courier courier = target.connect()) {
            Admin admin = Operators.admin(courier);
            long started = System.nanoTime();
            int printed = new StatsWatch(admin, target.groups, interval, ticks == null ? 0 : ticks, table, Clock.systemUTC(),
                    d -> stop.await(d.toMillis(), TimeUnit.MILLISECONDS)).run();
            cli.err.println("watched " + target.groups.size() + " group(s) of " + courier.url() + ": " + printed + " tick(s) in "
                    + StatsTable.interval(Duration.ofNanos(System.nanoTime() - started)));
            return 0;
        } finally {
            done.countDown();
            try { Runtime.getRuntime().removeShutdownHook(onSignal); } catch (IllegalStateException e) { /* the JVM is exiting */ }
        }
    }

    /**
     * The {@code --watch} interval.
     *
     * @throws IllegalArgumentException (exit 2) naming the accepted forms, and where the groups go
     */
    static Duration interval(String raw) {
        Duration d;
        try {
            d = Operators.duration("--watch", raw);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid --watch interval '" + raw + "': write one such as 500ms, 2s or 1m, or --watch alone for 2s"
                    + " (groups go before --watch: stats URL GROUP… --watch [INTERVAL])");
        }
        if (d.compareTo(MIN_INTERVAL) < 0) {
            throw new IllegalArgumentException("--watch interval " + raw + " is too short: give 100ms or more, e.g. --watch 2s");
        }
        return d;
    }
}
