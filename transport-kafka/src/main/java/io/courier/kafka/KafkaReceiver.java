package io.courier.kafka;

import io.courier.CourierException;
import io.courier.Destination;
import io.courier.spi.Received;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A member of a group: a {@link QueuePoller} for the group's topics (consumer group {@code courier.<group>}) and,
 * when the spec names a member, one for the member's own topic (consumer group {@code courier.<group>.member.<m>}).
 * Both feed one inbox that {@link #receive} drains; together they hold at most about {@code prefetch} due
 * deliveries (partitions are paused when full) (C11). Settlements are routed to the poller that owns the record.
 */
final class KafkaReceiver implements Receiver {
    private static final Logger log = LoggerFactory.getLogger(KafkaReceiver.class);

    private final ReceiverSpec spec;
    private final Consumer<KafkaReceiver> onClose;
    private final LinkedBlockingQueue<KafkaDelivery> inbox = new LinkedBlockingQueue<>();
    private final AtomicInteger held = new AtomicInteger();
    private final List<QueuePoller> pollers = new ArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile CourierException failure;
    private final AtomicLong receiveCalls = new AtomicLong();
    private volatile boolean inReceive;
    private volatile long lastReceiveAt = System.currentTimeMillis();

    KafkaReceiver(KafkaTransport transport, ReceiverSpec spec, Consumer<KafkaReceiver> onClose) {
        this.spec = spec;
        this.onClose = onClose;
        Topics.Queue group = transport.topics.group(spec.group());
        List<String> names = new ArrayList<>(List.of(group.topic(), group.retryTopic()));
        Topics.Queue member = spec.member() == null ? null : transport.topics.member(spec.group(), spec.member());
        if (member != null) names.add(member.topic());
        transport.ensureTopics(names);
        pollers.add(new QueuePoller(this, transport, group, Destination.any(spec.group()), spec.prefetch(), true));
        if (member != null) {
            pollers.add(new QueuePoller(this, transport, member, Destination.uni(spec.group(), spec.member()), spec.prefetch(), false));
        }
        pollers.forEach(QueuePoller::start);
        log.info("receiver open transport=kafka group={} member={} topics={} prefetch={} ackDeadline={}",
                spec.group(), spec.member(), names, spec.prefetch(), spec.ackDeadline());
    }

    /** Whether every consumer of this receiver holds a connection to the cluster. */
    boolean connected() {
        for (QueuePoller p : pollers) if (!p.connected()) return false;
        return true;
    }

    // ------------------------------------------------------------------ called by pollers

    /** A due record for the inbox. */
    void offer(KafkaDelivery d) {
        held.incrementAndGet();
        inbox.add(d);
    }

    /**
     * Deliveries no longer held (settled, expired, released). Pollers paused because the receiver was full are woken
     * once it has drained to {@link #resumeAt()}, not at the first settlement: resuming at every free slot made each
     * ack a wakeup, a resume, a poll and a pause again.
     */
    void released(int n) {
        int now = held.addAndGet(-n);
        int low = resumeAt();
        if (now <= low && now + n > low) pollers.forEach(QueuePoller::roomAvailable);
    }

    /** Held deliveries at or below which paused pollers resume: half the prefetch (0 for a prefetch of 1). */
    private int resumeAt() { return spec.prefetch() / 2; }

    /** Whether a poller paused because the receiver was full may resume fetching. */
    boolean canResume() { return held.get() <= resumeAt(); }

    /** A delivery held again (a failed republish waiting to be retried). */
    void held(int n) { held.addAndGet(n); }

    long ackDeadlineMillis() { return spec.ackDeadline().toMillis(); }

    boolean isFull() { return held.get() >= spec.prefetch(); }

    void fail(CourierException e) { failure = e; }

    void clearFailure() { failure = null; }

    /** How many times receive was called: a stalled receiver's group poller rejoins once this changes. */
    long receiveCalls() { return receiveCalls.get(); }

    /**
     * True when due records wait in the inbox but nobody has asked for them for {@code timeout}: the member is stuck
     * or busy, and its partitions are better served by other members (C3).
     */
    boolean stalled(long now, long timeout) {
        return !inReceive && !inbox.isEmpty() && now - lastReceiveAt > timeout;
    }

    // ------------------------------------------------------------------ Receiver

    @Override
    public List<? extends Received> receive(int max, Duration wait) throws InterruptedException {
        receiveCalls.incrementAndGet();
        inReceive = true;
        lastReceiveAt = System.currentTimeMillis();
        try {
            return receiveNow(max, wait);
        } finally {
            lastReceiveAt = System.currentTimeMillis();
            inReceive = false;
        }
    }

    private List<KafkaDelivery> receiveNow(int max, Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        List<KafkaDelivery> out = new ArrayList<>(Math.min(max, 256));
        List<KafkaDelivery> batch = new ArrayList<>(Math.min(max, 256));
        while (!closed.get()) {
            CourierException f = failure;
            if (f != null) throw f;
            KafkaDelivery first = inbox.poll(Math.max(0, Math.min(deadline - System.nanoTime(), 100_000_000L)), TimeUnit.NANOSECONDS);
            if (first != null) {
                batch.add(first);
                inbox.drainTo(batch, max - 1);
                for (KafkaDelivery d : batch) {
                    if (out.size() < max && d.owner.lease(d, spec.ackDeadline())) out.add(d);
                }
                batch.clear();
                if (!out.isEmpty()) return out;
            }
            if (System.nanoTime() >= deadline) break;
        }
        return out;
    }

    @Override
    public void ack(List<? extends Received> deliveries) {
        for (Received r : deliveries) if (r instanceof KafkaDelivery d) d.owner.ack(d);
    }

    @Override
    public void nack(List<? extends Received> deliveries, Duration delay) {
        for (Received r : deliveries) if (r instanceof KafkaDelivery d) d.owner.nack(d, delay);
    }

    @Override
    public void extendLease(List<? extends Received> deliveries, Duration extension) {
        for (Received r : deliveries) if (r instanceof KafkaDelivery d) d.owner.extend(d, extension);
    }

    /** Ready once every poller's consumer has been assigned its partitions. */
    @Override
    public boolean awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (QueuePoller p : pollers) {
            if (!p.awaitAssigned(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) return false;
        }
        return true;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        List<Thread> closers = new ArrayList<>();
        for (QueuePoller p : pollers) closers.add(Thread.ofVirtual().start(p::close));
        for (Thread t : closers) {
            try { t.join(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
        }
        inbox.clear();
        onClose.accept(this);
        log.info("receiver closed transport=kafka group={} member={}", spec.group(), spec.member());
    }
}
