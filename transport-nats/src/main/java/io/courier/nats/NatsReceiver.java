package io.courier.nats;

import io.courier.Message;
import io.courier.spi.Received;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import io.courier.spi.support.LeaseKeeper;
import io.courier.spi.support.LeaseTable;
import io.nats.client.Connection;
import io.nats.client.Subscription;
import io.nats.client.impl.NatsJetStreamMetaData;
import io.nats.client.impl.NatsMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives one group (and member) from JetStream: a pull request on each of its durable consumers (the group's
 * {@code any}, the member's own, the ordering partitions, the delay consumer), all answered to one inbox of this
 * receiver. The batches of the outstanding requests plus what arrived and was not yet returned never exceed the
 * room the runtime asked for (C11). Not-yet-due messages of the delay consumer are parked with
 * {@code -NAK {delay}} and, once due, relayed to their real subject, so they never count as an attempt (C10, C15).
 * The leases of the deliveries handed out are in a {@link LeaseTable}, kept by the {@link LeaseKeeper} on this
 * receiver's own thread (C6, C16).
 */
final class NatsReceiver implements Receiver {
    private static final Logger log = LoggerFactory.getLogger(NatsReceiver.class);
    private static final int DELAY_BATCH = 50;
    /** Reply token of the wake-up a settlement sends to a waiting receive (pull request tokens are numbers). */
    private static final String WAKE = "wake";
    /**
     * How long past its expiry a pull request issued on the current connection is still counted when its end status
     * never came. nats-server 2.9 ends a request that has just expired without its 408 when a message comes for it
     * before its expiry sweep (the message waits for the next request): at 500 msg/s about one expiry in ten (see
     * NatsPacedLatencyTest). The server's expiry is the client's plus the request's trip to the server, so the request
     * is over this long after its expiry; a late 408 is ignored.
     */
    static final long EXPIRED_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** The same for a request issued before a reconnect: it may have waited in the reconnect buffer. */
    private static final long LOST_STATUS_GRACE_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final NatsTransport transport;
    private final Connection nc;
    private final ReceiverSpec spec;
    private final String inbox;
    private final Subscription sub;
    private final List<PullSource> sources;
    private final PullSource delaySource;
    private final Map<String, PullSource> byConsumer = new HashMap<>();
    private final Map<String, PullSource> byToken = new HashMap<>();
    private final ArrayDeque<io.nats.client.Message> arrived = new ArrayDeque<>();
    private final LeaseTable<NatsDelivery> leases = new LeaseTable<>();
    private final LeaseKeeper.Handle keeper;
    private final ReentrantLock reading = new ReentrantLock();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Deliveries settled (acked or nacked) since the current receive began: room the runtime freed meanwhile. */
    private final AtomicInteger settledDuringReceive = new AtomicInteger();
    /** Set while receive blocks for arrivals: a settlement then wakes it, so that it pulls into the freed room. */
    private final AtomicBoolean waiting = new AtomicBoolean();
    private long requestSeq;
    private int rotation;

    NatsReceiver(NatsTransport transport, ReceiverSpec spec, List<PullSource> sources, PullSource delaySource) {
        this.transport = transport;
        this.nc = transport.connection();
        this.spec = spec;
        this.sources = sources;
        this.delaySource = delaySource;
        for (PullSource s : sources) byConsumer.put(s.consumer, s);
        byConsumer.put(delaySource.consumer, delaySource);
        this.inbox = nc.createInbox();
        this.sub = nc.subscribe(inbox + ".*");
        this.keeper = LeaseKeeper.shared().every(Duration.ofMillis(100), "courier-nats-leases-" + spec.group(), this::keepLeases);
    }

    // ------------------------------------------------------------------------------------------------ receive

    @Override
    public List<? extends Received> receive(int max, Duration wait) throws InterruptedException {
        if (closed.get() || max <= 0) return List.of();
        List<NatsDelivery> out = new ArrayList<>();
        reading.lockInterruptibly();
        settledDuringReceive.set(0);
        try {
            long deadline = System.nanoTime() + Math.max(1, wait.toNanos());
            drainAvailable();
            while (!closed.get()) {
                int room = room(max);
                takeArrived(out, room);
                if (out.size() >= room) break;
                requestMore(room - out.size(), wait);
                long left = deadline - System.nanoTime();
                if (!out.isEmpty() || left <= 0) {
                    drainAvailable();
                    takeArrived(out, room(max));
                    break;
                }
                long untilOverdue = earliestOverdue() - System.nanoTime();
                waiting.set(true);
                io.nats.client.Message m;
                try {
                    if (settledDuringReceive.get() > 0 && room(max) > room) continue; // settled before waiting was set
                    m = sub.nextMessage(Duration.ofNanos(Math.max(Math.min(left, untilOverdue), 1_000_000)));
                } finally {
                    waiting.set(false);
                }
                if (m == null) {
                    if (System.nanoTime() - deadline >= 0) break;
                    continue; // a request's end status is overdue: the next round forgets it and pulls again
                }
                route(m);
            }
        } catch (IllegalStateException e) {
            if (!closed.get()) throw Errors.general(e, transport.settings(), "receive from group " + spec.group());
        } finally {
            reading.unlock();
        }
        return out;
    }

    /**
     * The room of this receive: what the runtime asked for plus what it settled since (those deliveries were handed
     * out before this receive began, so they were counted in its held deliveries; C11 stays exact).
     */
    private int room(int max) {
        long r = (long) max + settledDuringReceive.get();
        return (int) Math.min(Integer.MAX_VALUE, r);
    }

    /** Counts settlements and wakes a receive that waits for arrivals, so that it pulls into the freed room at once. */
    private void settled(int n) {
        if (n <= 0) return;
        settledDuringReceive.addAndGet(n);
        if (waiting.compareAndSet(true, false)) {
            try {
                nc.publish(inbox + "." + WAKE, null);
            } catch (IllegalStateException ignored) {
                // closing or reconnect buffer full: the receive ends at its wait as before
            }
        }
    }

    private void drainAvailable() throws InterruptedException {
        while (sub.getPendingMessageCount() > 0) {
            io.nats.client.Message m = sub.nextMessage(Duration.ofMillis(1));
            if (m == null) return;
            route(m);
        }
    }

    /** Sorts one arrival: the end of a pull request, a delayed message, or a delivery for the runtime. */
    private void route(io.nats.client.Message m) {
        if (WAKE.equals(tokenOf(m.getSubject()))) return;
        if (m.isStatusMessage()) {
            PullSource s = byToken.remove(tokenOf(m.getSubject()));
            if (s != null && s.requestToken != null && s.requestToken.equals(tokenOf(m.getSubject()))) s.finished();
            int code = m.getStatus().getCode();
            if (code == 409) log.info("pull request ended with status 409 transport=nats group={}: {}", spec.group(), m.getStatus().getMessage());
            else if (code != 404 && code != 408) log.warn("pull request ended with status {} transport=nats group={}: {}", code, spec.group(), m.getStatus().getMessage());
            return;
        }
        PullSource s = byConsumer.get(consumerOf(m.getReplyTo()));
        if (s != null) {
            String token = s.requestToken;
            s.delivered();
            if (token != null && s.requestToken == null) byToken.remove(token);
        }
        if (s == delaySource) {
            relayOrPark(m);
        } else {
            arrived.add(m);
        }
    }

    private void takeArrived(List<NatsDelivery> out, int max) {
        while (out.size() < max && !arrived.isEmpty()) {
            NatsDelivery d = toDelivery(arrived.poll());
            if (d != null && leases.register(d, spec.ackDeadline())) out.add(d);
        }
    }

    private NatsDelivery toDelivery(io.nats.client.Message m) {
        PullSource s = byConsumer.get(consumerOf(m.getReplyTo()));
        if (s == null) {
            log.warn("dropping a message from an unknown consumer transport=nats group={} reply={} (the server redelivers it)", spec.group(), m.getReplyTo());
            return null;
        }
        NatsJetStreamMetaData meta = new NatsJetStreamMetaData((NatsMessage) m);
        Message msg = WireFormat.fromNats(m, s.arrivesAt, meta.getStream() + ":" + meta.streamSequence());
        warnIfRewound(s, meta, msg);
        return new NatsDelivery(msg, (int) Math.min(Integer.MAX_VALUE, meta.deliveredCount()), m.getReplyTo(), s);
    }

    /**
     * Issues pull requests on idle consumers for at most {@code room} messages in all, counting those already
     * requested or arrived. Ordering partitions get one message per request (their consumers hand out one at a
     * time anyway); the rest is split between the group's and the member's consumers. The delay consumer has its
     * own small budget: its messages never reach the runtime.
     */
    private void requestMore(int room, Duration wait) {
        if (nc.getStatus() != Connection.Status.CONNECTED) return;
        long now = System.nanoTime();
        long expires = Math.max(50, Math.min(wait.toMillis(), 30_000));
        int credits = room - arrived.size();
        List<PullSource> idleShared = new ArrayList<>();
        List<PullSource> idlePartitions = new ArrayList<>();
        for (PullSource s : sources) {
            forgetIfOverdue(s, now);
            if (!s.idle()) credits -= s.remaining;
            else if (s.kind == PullSource.Kind.PARTITION) idlePartitions.add(s);
            else idleShared.add(s);
        }
        forgetIfOverdue(delaySource, now);
        if (delaySource.idle()) pull(delaySource, DELAY_BATCH, expires);
        if (credits <= 0) return;
        rotation++;
        int partitionPulls;
        if (idleShared.isEmpty()) partitionPulls = Math.min(idlePartitions.size(), credits);
        else if (credits == 1) partitionPulls = (rotation % 2 == 0) ? Math.min(1, idlePartitions.size()) : 0;
        else partitionPulls = Math.min(idlePartitions.size(), credits / 2);
        for (int i = 0; i < partitionPulls; i++) {
            pull(idlePartitions.get((rotation + i) % idlePartitions.size()), 1, expires);
            credits--;
        }
        for (int i = 0; i < idleShared.size() && credits > 0; i++) {
            int batch = (credits + (idleShared.size() - i) - 1) / (idleShared.size() - i);
            pull(idleShared.get((rotation + i) % idleShared.size()), batch, expires);
            credits -= batch;
        }
    }

    private void forgetIfOverdue(PullSource s, long now) {
        String token = s.requestToken;
        s.expireIfOverdue(now, reconnects());
        if (token != null && s.requestToken == null) {
            byToken.remove(token);
            if (log.isDebugEnabled()) log.debug("pull request {} on consumer {} over without end status transport=nats group={}", token, s.consumer, spec.group());
        }
    }

    /** When the first outstanding request is overdue (nanoTime), or far away (none, or not connected: no pull then). */
    private long earliestOverdue() {
        long earliest = System.nanoTime() + TimeUnit.DAYS.toNanos(1);
        if (nc.getStatus() != Connection.Status.CONNECTED) return earliest;
        long epoch = reconnects();
        for (PullSource s : sources) earliest = earlierOverdue(s, epoch, earliest);
        return earlierOverdue(delaySource, epoch, earliest);
    }

    private static long earlierOverdue(PullSource s, long epoch, long earliest) {
        if (s.idle()) return earliest;
        long at = s.overdueAt(epoch);
        return at - earliest < 0 ? at : earliest;
    }

    private long reconnects() { return nc.getStatistics().getReconnects(); }

    /**
     * Issues one pull request. Its expiry is {@code expiresMs} from now, or somewhat later when a redelivery asked for
     * on the same consumer is due around then (see {@link RedeliveryGuard}: the server must never find its only
     * waiting request expired when a redelivery comes due).
     */
    private void pull(PullSource s, int batch, long expiresMs) {
        String token = Long.toString(++requestSeq);
        long now = System.nanoTime();
        long expiresAt = s.guard.requestExpiry(now, TimeUnit.MILLISECONDS.toNanos(expiresMs));
        String body = "{\"batch\":" + batch + ",\"expires\":" + (expiresAt - now) + "}";
        try {
            nc.publish(s.nextSubject, inbox + "." + token, body.getBytes(StandardCharsets.US_ASCII));
        } catch (IllegalStateException e) {
            s.guard.requestEnded(expiresAt);
            return; // closing or the reconnect buffer is full: try again on the next receive
        }
        s.started(token, batch, expiresAt, reconnects(), EXPIRED_GRACE_NANOS, LOST_STATUS_GRACE_NANOS);
        byToken.put(token, s);
    }

    /**
     * {@code -NAK} (with a delay unless zero), the delay lengthened if the redelivery would otherwise come due at the
     * expiry of an outstanding pull request on the same consumer (see {@link RedeliveryGuard}).
     */
    private void nak(PullSource s, String ackSubject, Duration delay) {
        long wanted = delay == null || delay.isNegative() ? 0 : delay.toNanos();
        long delayNanos = s == null ? wanted : s.guard.nakDelay(System.nanoTime(), wanted);
        if (delayNanos != wanted && log.isDebugEnabled()) {
            log.debug("nak delay {} us instead of {} us transport=nats group={} consumer={}: clear of a pull request's expiry",
                    delayNanos / 1_000, wanted / 1_000, spec.group(), s.consumer);
        }
        Acks.nak(nc, ackSubject, Duration.ofNanos(delayNanos));
    }

    private void warnIfRewound(PullSource s, NatsJetStreamMetaData meta, Message msg) {
        if (s.rewound(meta.deliveredCount(), meta.streamSequence())) {
            log.warn("first delivery of an already delivered stream sequence transport=nats group={} consumer={} messageId={} streamSeq={}:"
                    + " the server stepped its cursor back (nats-server bug fixed by nats-io/nats-server#5305) or the consumer was created again;"
                    + " its attempt count restarts at 1", spec.group(), s.consumer, msg.id(), meta.streamSequence());
        }
    }

    // ------------------------------------------------------------------------------------------------ delays

    private void relayOrPark(io.nats.client.Message m) {
        NatsJetStreamMetaData meta = new NatsJetStreamMetaData((NatsMessage) m);
        Message msg = WireFormat.fromNats(m, delaySource.arrivesAt, meta.getStream() + ":" + meta.streamSequence());
        warnIfRewound(delaySource, meta, msg);
        Instant due = msg.notBefore();
        long waitMs = due == null ? 0 : due.toEpochMilli() - System.currentTimeMillis();
        if (waitMs > 0) {
            nak(delaySource, m.getReplyTo(), Duration.ofMillis(waitMs));
            return;
        }
        String ackSubject = m.getReplyTo();
        transport.relayDue(msg).whenComplete((v, e) -> {
            if (e == null) {
                Acks.ack(nc, ackSubject);
            } else {
                log.warn("relay of due message failed transport=nats destination={} messageId={}; retrying in 1 s: {}",
                        msg.destination(), msg.id(), Errors.unwrap(e).toString());
                nak(delaySource, ackSubject, Duration.ofSeconds(1));
            }
        });
    }

    // ------------------------------------------------------------------------------------------------ settle

    @Override
    public void ack(List<? extends Received> deliveries) {
        int n = 0;
        for (Received r : deliveries) {
            if (r instanceof NatsDelivery d && leases.settle(d)) {
                Acks.ack(nc, d.ackSubject);
                n++;
            }
        }
        settled(n);
    }

    @Override
    public void nack(List<? extends Received> deliveries, Duration delay) {
        int n = 0;
        for (Received r : deliveries) {
            if (r instanceof NatsDelivery d && leases.settle(d)) {
                nak(d.source, d.ackSubject, delay);
                n++;
            }
        }
        settled(n);
    }

    @Override
    public void extendLease(List<? extends Received> deliveries, Duration extension) {
        long now = System.nanoTime();
        for (Received r : deliveries) {
            if (r instanceof NatsDelivery d && leases.extend(d, extension)) {
                d.touchedNanos = now;
                Acks.inProgress(nc, d.ackSubject);
            }
        }
    }

    /**
     * Run by the lease keeper: releases deliveries whose lease ran out (C6) and resets the server's ack timer of the
     * others before the consumer's AckWait passes (the consumer may have been created with another deadline).
     */
    private void keepLeases() {
        leases.sweep(d -> {
            log.info("lease expired transport=nats destination={} messageId={} attempt={}; released for redelivery",
                    d.message.destination(), d.message.id(), d.attempt);
            nak(d.source, d.ackSubject, Duration.ZERO);
        });
        long now = System.nanoTime();
        for (NatsDelivery d : leases.snapshot()) {
            if (now - d.touchedNanos >= d.source.serverAckWait.toNanos() / 2 && leases.isRunning(d)) {
                d.touchedNanos = now;
                Acks.inProgress(nc, d.ackSubject);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ close

    /**
     * Stops receiving: waits for the outstanding pull requests to end (at most their expiry), releases what they
     * still bring and every unsettled delivery with {@code -NAK}, so that other members get them at once (C13).
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        boolean locked = false;
        try {
            locked = reading.tryLock(35, TimeUnit.SECONDS);
            if (locked && nc.getStatus() == Connection.Status.CONNECTED) drainOutstanding();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            for (io.nats.client.Message m : arrived) nak(byConsumer.get(consumerOf(m.getReplyTo())), m.getReplyTo(), Duration.ZERO);
            arrived.clear();
            keeper.close();
            List<NatsDelivery> unsettled = leases.releaseAll();
            for (NatsDelivery d : unsettled) nak(d.source, d.ackSubject, Duration.ZERO);
            int released = unsettled.size();
            if (released > 0) log.info("receiver closed transport=nats group={} member={}: released {} unsettled deliveries", spec.group(), spec.member(), released);
            try { sub.unsubscribe(); } catch (RuntimeException ignored) { /* connection closed */ }
            transport.receiverClosed(this);
            if (locked) reading.unlock();
        }
    }

    private void drainOutstanding() throws InterruptedException {
        long now = System.nanoTime();
        long until = now;
        List<PullSource> all = new ArrayList<>(sources);
        all.add(delaySource);
        for (PullSource s : all) {
            if (!s.idle()) until = Math.max(until, s.expiresAtNanos + TimeUnit.MILLISECONDS.toNanos(200));
        }
        while (all.stream().anyMatch(s -> !s.idle()) && System.nanoTime() < until) {
            io.nats.client.Message m = sub.nextMessage(Duration.ofNanos(Math.max(1_000_000, until - System.nanoTime())));
            if (m == null) break;
            if (WAKE.equals(tokenOf(m.getSubject()))) continue;
            if (m.isStatusMessage()) {
                route(m);
            } else {
                PullSource s = byConsumer.get(consumerOf(m.getReplyTo()));
                if (s != null) s.delivered();
                nak(s, m.getReplyTo(), Duration.ZERO);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static String tokenOf(String subject) {
        int dot = subject.lastIndexOf('.');
        return dot < 0 ? subject : subject.substring(dot + 1);
    }

    /** The consumer name in {@code $JS.ACK.<stream>.<consumer>.…} or {@code $JS.ACK.<domain>.<hash>.<stream>.<consumer>.…}. */
    static String consumerOf(String ackSubject) {
        if (ackSubject == null) return null;
        String[] t = ackSubject.split("\\.");
        if (t.length == 9) return t[3];
        if (t.length >= 11) return t[5];
        return null;
    }

    ReceiverSpec spec() { return spec; }
}
