package io.courier.runtime;

import io.courier.Message;
import io.courier.SubscriptionOptions;
import io.courier.runtime.SettlementPolicy.DeadLetter;
import io.courier.runtime.SettlementPolicy.Decision;
import io.courier.runtime.SettlementPolicy.Retry;
import io.courier.spi.Received;
import io.courier.spi.Receiver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settlement of one subscription's deliveries: carries out a {@link Decision} on the receiver, exactly once per
 * delivery (the first claim wins, later settlements return false), and keeps the set of unsettled deliveries that
 * the prefetch counts. Acks are coalesced by an {@link AckBatcher}; a dead letter is sent before the original is
 * acked, and nacked for redelivery if the send fails, so nothing is lost (C7). A failing receiver call is logged and
 * left to redelivery. Thread-safe.
 */
final class Settler {
    private static final Logger log = LoggerFactory.getLogger(Settler.class);
    /** The most acks handed to the receiver in one call. */
    static final int ACK_BATCH_MAX = 64;
    /** The longest a finished handler's ack waits in the queue while its worker goes on with ready deliveries. */
    static final long ACK_DELAY_MAX_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final SubscriptionHost host;
    private final SubscriptionOptions options;
    private final Receiver receiver;
    private final Runnable onChange;
    private final String where;
    private final Set<RuntimeDelivery> unsettled = ConcurrentHashMap.newKeySet();
    private final AckBatcher<RuntimeDelivery> acks;
    private final AtomicInteger sendingDeadLetters = new AtomicInteger();

    /** {@code onChange} runs whenever a delivery stops counting against the prefetch. */
    Settler(SubscriptionHost host, SubscriptionOptions options, Receiver receiver, Runnable onChange, String where) {
        this(host, options, receiver, onChange, where, options::prefetch);
    }

    /** {@code window}: the current prefetch window; acks are handed over in batches of a quarter of it (at most 64). */
    Settler(SubscriptionHost host, SubscriptionOptions options, Receiver receiver, Runnable onChange, String where, IntSupplier window) {
        this.host = host;
        this.options = options;
        this.receiver = receiver;
        this.onChange = onChange;
        this.where = where;
        this.acks = new AckBatcher<>(() -> Math.max(1, Math.min(ACK_BATCH_MAX, window.getAsInt() / 4)), ACK_DELAY_MAX_NANOS,
                System::nanoTime, this::handAcks);
    }

    RuntimeDelivery track(Received r) {
        RuntimeDelivery d = new RuntimeDelivery(r, this);
        unsettled.add(d);
        return d;
    }

    Collection<RuntimeDelivery> unsettled() { return unsettled; }

    int unsettledCount() { return unsettled.size(); }

    /** Whether a dead letter is being sent or acks are being handed over (close waits for both). */
    boolean busy() { return sendingDeadLetters.get() > 0 || acks.flushing(); }

    void apply(RuntimeDelivery d, Decision decision) {
        switch (decision) {
            case SettlementPolicy.Ack a -> ack(d);
            case DeadLetter dl -> deadLetter(d, dl.reason());
            case Retry r -> nack(d, r.delay(), r.reason());
        }
    }

    /** Queues the ack; flushed at once when not called from the delivery's running handler (no worker would soon). */
    boolean ack(RuntimeDelivery d) {
        if (!d.claim()) return false;
        acks.add(d);
        if (d.thread != Thread.currentThread()) acks.flush();
        return true;
    }

    void flushAcksIfDue() { if (acks.due()) acks.flush(); }

    void flushAcks() { acks.flush(); }

    boolean nack(RuntimeDelivery d, Duration delay, String failure) {
        if (!d.claim()) return false;
        if (failure != null) {
            log.info("handler failed transport={} destination={} messageId={} attempt={}/{}; redelivery in {} ms: {}",
                    host.transportName(), d.message().destination(), d.message().id(), d.attempt(),
                    options.retry().maxAttempts(), delay.toMillis(), failure);
        }
        try {
            safely(() -> receiver.nack(List.of(d.received), delay));
        } finally {
            settled(d);
        }
        return true;
    }

    boolean deadLetter(RuntimeDelivery d, String reason) {
        if (!d.claim()) return false;
        Message m = d.message();
        Message dead = SettlementPolicy.deadLetterOf(m, options.deadLetterGroup(), reason, d.attempt());
        sendingDeadLetters.incrementAndGet();
        host.send(dead).whenComplete((v, e) -> {
            try {
                if (e == null) {
                    log.warn("dead-lettered transport={} destination={} messageId={} attempts={} to={} reason={}",
                            host.transportName(), m.destination(), m.id(), d.attempt(), dead.destination(), reason);
                    safely(() -> receiver.ack(List.of(d.received)));
                    host.telemetry().deadLettered(options.group(), SettlementPolicy.reasonKind(reason));
                } else {
                    log.warn("dead-letter send failed transport={} messageId={} to={}; message kept for redelivery: {}",
                            host.transportName(), m.id(), dead.destination(), e.toString());
                    safely(() -> receiver.nack(List.of(d.received), Duration.ofSeconds(1)));
                }
            } finally {
                sendingDeadLetters.decrementAndGet();
                settled(d);
            }
        });
        return true;
    }

    /** At close, after the grace: claims every delivery still unsettled and returns them (see {@link #release}). */
    List<RuntimeDelivery> claimUnsettled() {
        List<RuntimeDelivery> claimed = new ArrayList<>();
        for (RuntimeDelivery d : unsettled) if (d.claim()) claimed.add(d);
        return claimed;
    }

    /**
     * Gives claimed deliveries back for redelivery to others: nacks those whose handler started, releases those no
     * handler saw (not an attempt, where the broker allows it).
     */
    void release(List<RuntimeDelivery> claimed) {
        List<Received> unfinished = new ArrayList<>(), unseen = new ArrayList<>();
        for (RuntimeDelivery d : claimed) (d.startedNanos != 0 ? unfinished : unseen).add(d.received);
        if (!claimed.isEmpty()) {
            log.info("closing {}: releasing {} unfinished and {} unstarted deliveries for redelivery", where,
                    unfinished.size(), unseen.size());
            if (!unfinished.isEmpty()) safely(() -> receiver.nack(unfinished, Duration.ZERO));
            if (!unseen.isEmpty()) safely(() -> receiver.release(unseen));
        }
        unsettled.clear();
    }

    /** Extends the leases of these deliveries by the ack deadline (C16). */
    void extend(List<Received> deliveries) {
        if (deliveries.isEmpty()) return;
        safely(() -> receiver.extendLease(deliveries, options.ackDeadline()));
        host.telemetry().leasesExtended(options.group(), deliveries.size());
    }

    void closeReceiver() { safely(receiver::close); }

    private void handAcks(List<RuntimeDelivery> batch) {
        List<Received> received = new ArrayList<>(batch.size());
        for (RuntimeDelivery d : batch) received.add(d.received);
        safely(() -> receiver.ack(received));
        host.telemetry().acksHanded(options.group(), received.size());
        batch.forEach(unsettled::remove);
        onChange.run();
    }

    private void settled(RuntimeDelivery d) {
        unsettled.remove(d);
        onChange.run();
    }

    private void safely(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            log.warn("settlement failed {}: {} (the message will be redelivered)", where, e.toString());
        }
    }
}
