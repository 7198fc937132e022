package io.courier.runtime;

import io.courier.spi.Received;
import io.courier.spi.Receiver;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fetch loop of one subscription: asks the receiver for as many deliveries as the prefetch has room for (C11),
 * hands each to {@code accept}, and retries a failing receive with a backoff of 100 ms doubling to 5 s, recording
 * every outcome in a {@link ReceiveHealth}. Runs on one thread until {@link #stop()}.
 */
final class FetchLoop implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(FetchLoop.class);

    /** How much room the prefetch has: blocks while it has none or is paused; returns 0 once stopping. */
    interface Room {
        int await(Duration maxWait) throws InterruptedException;
    }

    private final Receiver receiver;
    private final Room room;
    private final Duration pollWait;
    private final Consumer<Received> accept;
    private final String where;
    private final ReceiveHealth health;
    private volatile boolean stopping;

    FetchLoop(Receiver receiver, Room room, Duration pollWait, Consumer<Received> accept, String where) {
        this(receiver, room, pollWait, accept, where, new ReceiveHealth());
    }

    /** {@code health} records the outcome of every receive call. */
    FetchLoop(Receiver receiver, Room room, Duration pollWait, Consumer<Received> accept, String where, ReceiveHealth health) {
        this.health = health;
        this.receiver = receiver;
        this.room = room;
        this.pollWait = pollWait;
        this.accept = accept;
        this.where = where;
    }

    void stop() { stopping = true; }

    @Override
    public void run() {
        long backoffMs = 100;
        while (!stopping) {
            List<? extends Received> got;
            try {
                int n = room.await(pollWait);
                if (n <= 0 || stopping) continue;
                got = receiver.receive(n, pollWait);
                health.succeeded();
                backoffMs = 100;
            } catch (InterruptedException e) {
                continue; // stop() comes with an interrupt; otherwise go on
            } catch (RuntimeException e) {
                if (stopping) return;
                health.failed(e);
                log.warn("receive failed {}; retrying in {} ms: {}", where, backoffMs, e.toString());
                try { Thread.sleep(backoffMs); } catch (InterruptedException ie) { continue; }
                backoffMs = Math.min(backoffMs * 2, 5_000);
                continue;
            }
            for (Received r : got) accept.accept(r);
        }
    }
}
