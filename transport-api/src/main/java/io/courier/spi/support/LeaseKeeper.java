package io.courier.spi.support;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs receivers' lease upkeep (a {@link LeaseTable#sweep} and whatever the adapter does with what expired: a
 * requeue, a {@code -NAK}, a visibility change) periodically, for every receiver of the JVM, from one timer thread.
 *
 * <p>Guarantees: the timer thread never runs a task itself: each run is started on its own virtual thread, so a
 * task that blocks on a broker call (flow control, an outage, a slow HTTP call) delays only its own receiver's next
 * run, never another receiver's; runs of one task never overlap (a tick that finds the previous run still going is
 * skipped); a task that throws is logged and run again on the next tick. {@link Handle#close} stops further runs (a
 * run in progress finishes).
 */
public final class LeaseKeeper {
    private static final Logger log = LoggerFactory.getLogger(LeaseKeeper.class);
    private static final LeaseKeeper SHARED = new LeaseKeeper();

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "courier-lease-keeper-timer");
        t.setDaemon(true);
        return t;
    });

    private LeaseKeeper() { }

    /** The JVM's keeper. */
    public static LeaseKeeper shared() { return SHARED; }

    /** A registered task; closing it stops its runs. */
    public interface Handle extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Runs {@code task} every {@code interval}, each run on a fresh virtual thread named {@code name}, never two runs
     * of it at once.
     */
    public Handle every(Duration interval, String name, Runnable task) {
        Objects.requireNonNull(task, "task");
        AtomicBoolean running = new AtomicBoolean();
        AtomicBoolean closed = new AtomicBoolean();
        long ms = Math.max(1, interval.toMillis());
        ScheduledFuture<?> f = timer.scheduleWithFixedDelay(() -> {
            if (closed.get() || !running.compareAndSet(false, true)) return;
            Thread.ofVirtual().name(name).start(() -> {
                try {
                    if (!closed.get()) task.run();
                } catch (RuntimeException e) {
                    log.warn("lease upkeep {} failed: {}", name, e.toString());
                } finally {
                    running.set(false);
                }
            });
        }, ms, ms, TimeUnit.MILLISECONDS);
        return () -> {
            closed.set(true);
            f.cancel(false);
        };
    }
}
