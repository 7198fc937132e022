package io.courier.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import io.courier.Destination;
import io.courier.Message;
import io.courier.spi.Received;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import io.courier.spi.support.LeaseKeeper;
import io.courier.spi.support.LeaseTable;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A receiver: one channel with {@code basicQos(prefetch)} and one consumer per queue of the group it reads (the
 * group's queue, the member's queue, the ordering sub-queues), all feeding one buffer that {@link #receive} drains.
 *
 * <p>RabbitMQ has no visibility timeout, so the lease (C6) is kept here, in a {@link LeaseTable} swept by the
 * {@link LeaseKeeper} on this receiver's own thread: a delivery neither settled nor extended within the ack deadline
 * (restarted when {@link #receive} hands it out) is nacked with requeue, and the quorum queue redelivers it with {@code x-delivery-count + 1}. A lost connection requeues
 * everything unacked on the broker side; deliveries of the dead channel are then dropped from the buffer and their
 * late settlements ignored (amqp-client also ignores delivery tags from before a recovery).
 */
final class RabbitReceiver implements Receiver {
    private static final Logger log = LoggerFactory.getLogger(RabbitReceiver.class);
    /**
     * A delivery buffered this long (capped by the ack deadline) without being asked for is given back to the queue,
     * so that an idle member can take it (C3): the receiver's channel consumes several queues, each with its own
     * prefetch, so the buffer may hold more than the runtime takes.
     */
    private static final Duration STALL = Duration.ofSeconds(2);
    /** The lease of a buffered ordering sub-queue delivery: it ends when the delivery is handed out. */
    private static final Duration UNTIL_HANDED_OUT = Duration.ofDays(365);

    private final RabbitTransport transport;
    private final ReceiverSpec spec;
    private final String name;
    private final LinkedBlockingQueue<RabbitDelivery> buffer = new LinkedBlockingQueue<>();
    /** Every unsettled delivery of the current channel: buffered ones until {@code STALL}, handed-out ones until their lease ends. */
    private final LeaseTable<RabbitDelivery> leases = new LeaseTable<>();
    private LeaseKeeper.Handle keeper;
    private final AtomicLong generation = new AtomicLong();
    private final Duration stall;
    private volatile boolean closing;
    private volatile boolean closed;
    /** Releases in flight (republish, then ack): close waits for them before it closes the channel. */
    private final Set<CompletableFuture<Void>> releasing = ConcurrentHashMap.newKeySet();
    /** The channel and its consumers, kept consuming across cancels and channel errors (null until {@link #start}). */
    private ReceiverChannel rc;

    RabbitReceiver(RabbitTransport transport, ReceiverSpec spec) {
        this.transport = transport;
        this.spec = spec;
        this.name = "group=" + spec.group() + (spec.member() == null ? "" : " member=" + spec.member());
        this.stall = spec.ackDeadline().compareTo(STALL) < 0 ? spec.ackDeadline() : STALL;
    }

    /** Declares the queues and starts the consumers. */
    void start(com.rabbitmq.client.Connection connection, Topology topology) throws IOException {
        Names n = transport.settings.names;
        topology.declareGroup(spec.group(), spec.member());
        // the runtime's starting window, fixed: basic.qos binds only consumers started after it, and re-consuming as
        // an adaptive window grew raced the client's connection recovery (a consumer cancelled and never restarted:
        // C2 "lost 9712 of 10000" across connection cuts in a clean-clone run)
        rc = new ReceiverChannel(connection, spec.window(), name, new ReceiverChannel.Sink() {
            @Override public void arrived(String queue, Destination d, Envelope e, AMQP.BasicProperties p, byte[] body) {
                RabbitReceiver.this.arrived(queue, d, e, p, body);
            }
            @Override public void lost(ShutdownSignalException cause) { channelLost(cause); }
        });
        consume(n.group(spec.group()), Destination.any(spec.group()));
        if (spec.member() != null) {
            consume(n.member(spec.group(), spec.member()), Destination.uni(spec.group(), spec.member()));
            consume(n.sticky(spec.group(), spec.member()), Destination.sticky(spec.group(), spec.member()));
        }
        for (int i = 0; i < transport.settings.orderingQueues; i++) consume(n.ordered(spec.group(), i), Destination.any(spec.group()));
        keeper = LeaseKeeper.shared().every(Duration.ofMillis(100), "courier-rabbitmq-leases-" + spec.group(), this::expireLeases);
        log.info("transport=rabbitmq receiver opened {} prefetch={} qos={} ackDeadline={}", name, spec.prefetch(), spec.window(), spec.ackDeadline());
    }

    private void consume(String queue, Destination destination) throws IOException { rc.consume(queue, destination); }

    /** The channel deliveries are settled on (for tests that break it). */
    Channel channel() { return rc.channel(); }

    private void arrived(String queue, Destination destination, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
        if (closed) return; // closing the channel requeues it
        Message m = WireFormat.message(destination, props, body);
        int attempt = WireFormat.attempt(props, envelope);
        if (attempt > 1) log.info("transport=rabbitmq redelivery queue={} id={} attempt={}", queue, m.id(), attempt);
        RabbitDelivery d = new RabbitDelivery(m, attempt, envelope.getDeliveryTag(), generation.get(), queue, props, body);
        // buffered, an ordering sub-queue's delivery waits for its turn; any other is given back after STALL (C3)
        leases.register(d, queue.contains("~key-") ? UNTIL_HANDED_OUT : stall);
        if (!closing) buffer.add(d);
    }

    private void channelLost(ShutdownSignalException cause) {
        generation.incrementAndGet();
        int lost = leases.releaseAll().size();
        buffer.clear();
        if (!closed && !cause.isInitiatedByApplication()) {
            log.warn("transport=rabbitmq receiver channel lost {}: {}; {} unsettled deliveries go back to the queue, its consumers resume once it is back",
                    name, Errors.closeReason(cause) != null ? Errors.closeReason(cause) : cause.getMessage(), lost);
        }
    }

    @Override
    public List<? extends Received> receive(int max, Duration wait) throws InterruptedException {
        List<RabbitDelivery> out = new ArrayList<>();
        long end = System.nanoTime() + wait.toNanos();
        while (out.size() < max && !closing) {
            long left = end - System.nanoTime();
            RabbitDelivery d = out.isEmpty() && left > 0 ? buffer.poll(left, TimeUnit.NANOSECONDS) : buffer.poll();
            if (d == null) break;
            if (d.generation != generation.get() || !leases.restart(d, spec.ackDeadline())) continue;
            d.handedOut = true;
            out.add(d);
        }
        return out;
    }

    @Override
    public void ack(List<? extends Received> deliveries) {
        for (Received r : deliveries) {
            RabbitDelivery d = own(r);
            if (d == null) continue;
            basic(d, false, false);
        }
    }

    @Override
    public void nack(List<? extends Received> deliveries, Duration delay) {
        for (Received r : deliveries) {
            RabbitDelivery d = own(r);
            if (d == null) continue;
            if (delay.toMillis() <= 0 && (WireFormat.hasOwnId(d.properties) || d.queue.contains("~key-"))) {
                basic(d, true, true);
            } else if (delay.toMillis() <= 0) {
                redeliverWithId(d);
            } else {
                redeliverLater(d, delay);
            }
        }
    }

    /**
     * A plain client's message without {@code message-id}: a requeue would bring it back as it was, and its id would be
     * drawn again. It is republished with the id its delivery got and the attempts made so far, and the original acked
     * once the copy is confirmed (requeued, as before, if the copy fails).
     */
    private void redeliverWithId(RabbitDelivery d) {
        CompletableFuture<Void> f = transport.publishTo(d.queue, WireFormat.republished(d.properties, d.message().id(), d.attempt()), d.body)
                .whenComplete((v, e) -> basic(d, e != null, true));
        releasing.add(f);
        f.whenComplete((v, e) -> releasing.remove(f));
    }

    /** Gives back deliveries no handler saw without counting an attempt (see {@link #releaseUncounted}). */
    @Override
    public void release(List<? extends Received> deliveries) {
        for (Received r : deliveries) {
            RabbitDelivery d = own(r);
            if (d == null) continue;
            CompletableFuture<Void> f = releaseUncounted(d);
            releasing.add(f);
            f.whenComplete((v, e) -> releasing.remove(f));
        }
    }

    /** Republishes to a delay bucket that dead-letters back into the delivery's queue, then acks the original. */
    private void redeliverLater(RabbitDelivery d, Duration delay) {
        transport.publishDelayed(d.queue, delay, WireFormat.republished(d.properties, d.message().id(), d.attempt()), d.body)
                .whenComplete((v, e) -> {
                    if (e == null) {
                        basic(d, false, false);
                    } else {
                        log.warn("transport=rabbitmq nack with delay of id={} queue={} could not reach the delay queue ({}); requeued at once instead",
                                d.message().id(), d.queue, e.getMessage());
                        basic(d, true, true);
                    }
                });
    }

    @Override
    public void extendLease(List<? extends Received> deliveries, Duration extension) {
        for (Received r : deliveries) {
            if (!closed && r instanceof RabbitDelivery d) leases.extend(d, extension);
        }
    }

    /**
     * Releases deliveries whose lease has ended (redelivered with attempt + 1) and buffered deliveries nobody asked
     * for (given back without counting an attempt). Run by the {@link LeaseKeeper} on this receiver's own thread, so
     * a blocked channel stalls no other receiver.
     */
    private void expireLeases() {
        if (closing) return;
        leases.sweep(this::expired);
        rc.heal();
    }

    private void expired(RabbitDelivery d) {
        if (d.handedOut) {
            log.info("transport=rabbitmq lease expired queue={} id={} attempt={}: requeued for redelivery", d.queue, d.message().id(), d.attempt());
            basic(d, true, true);
        } else {
            log.debug("transport=rabbitmq {} gives back unrequested delivery {}", name, d);
            releaseUncounted(d);
        }
    }

    /**
     * Gives a delivery that no handler saw back to its queue without counting an attempt: a quorum queue counts every
     * requeue in {@code x-delivery-count}, so it is republished with the attempts made so far and the original acked
     * once the copy is confirmed. Ordering sub-queues are requeued instead (their order matters more than the count).
     */
    private CompletableFuture<Void> releaseUncounted(RabbitDelivery d) {
        if (d.queue.contains("~key-")) {
            basic(d, true, true);
            return CompletableFuture.completedFuture(null);
        }
        return transport.publishTo(d.queue, WireFormat.republished(d.properties, d.message().id(), d.attempt() - 1), d.body)
                .whenComplete((v, e) -> basic(d, e != null, true));
    }

    /** The delivery if it is this receiver's and this call settles it; null otherwise (settling it again is harmless). */
    private RabbitDelivery own(Received r) {
        return !closed && r instanceof RabbitDelivery d && leases.settle(d) ? d : null;
    }

    /** basicAck, or basicNack when {@code nack}; silently nothing when the delivery's channel is gone. */
    private void basic(RabbitDelivery d, boolean nack, boolean requeue) {
        if (closed || d.generation != generation.get()) return;
        try {
            if (nack) rc.channel().basicNack(d.tag, false, requeue);
            else rc.channel().basicAck(d.tag, false);
        } catch (IOException | RuntimeException e) {
            log.debug("transport=rabbitmq settling {} failed, the broker redelivers it: {}", d, e.toString());
        }
    }

    /**
     * Cancels the consumers, gives back the buffered deliveries no handler saw (without counting an attempt), then
     * closes the channel: the broker requeues whatever is still unacked, handed out and unsettled (C13).
     */
    @Override
    public synchronized void close() {
        if (closing) return;
        closing = true;
        transport.forget(this);
        if (keeper != null) keeper.close();
        if (rc != null && rc.channel().isOpen()) {
            rc.cancelAll();
            List<CompletableFuture<Void>> released = new ArrayList<>(releasing);
            for (RabbitDelivery d : leases.snapshot()) {
                if (!d.handedOut && leases.forget(d)) released.add(releaseUncounted(d));
            }
            try {
                CompletableFuture.allOf(released.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.debug("transport=rabbitmq {}: giving back buffered deliveries at close: {}", name, e.toString());
            }
        }
        closed = true;
        buffer.clear();
        leases.releaseAll();
        if (rc != null) rc.close(); // the broker requeues every unacked delivery (C13)
        log.info("transport=rabbitmq receiver closed {}", name);
    }
}
