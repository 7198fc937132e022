package io.courier.kafka;

import io.courier.Destination;
import io.courier.spi.support.LeaseTable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One consumer group's reading of one queue (its topic and its retry topic), on one thread that owns the
 * {@link KafkaConsumer} (which is not thread-safe). Settlements from other threads are state changes plus a
 * hand-off queue that this thread drains; offsets are committed asynchronously in batches every
 * {@code commit-interval}, never past a record that is not done (C2, C5). A nack or an expired lease republishes the
 * record to the retry topic with {@code courier-attempt + 1} and a not-before time, and marks the original done once
 * the republish is durable, so one slow message never blocks its partition (C6, C10, C15). Partitions are paused
 * while the receiver holds {@code prefetch} deliveries (C11), and resumed once it has drained to half of that. On
 * revocation, what is settled is committed and the rest is left for the next owner (C2). The leases of the
 * deliveries handed out are in a {@link LeaseTable}, swept on the poll thread (its republish is asynchronous): who
 * wins the table's settle-once moves a delivery out of {@code LEASED}.
 */
final class QueuePoller implements ConsumerRebalanceListener {
    private static final Logger log = LoggerFactory.getLogger(QueuePoller.class);
    private static final long MAX_POLL_MS = 100;

    private final KafkaReceiver receiver;
    private final KafkaTransport transport;
    private final Topics.Queue queue;
    private final WireFormat.Reader reader;
    /** The partition of the last record read (poll thread only). */
    private TopicPartition lastPartition;
    private final String name;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    /** Assigned partitions; the map is read by receiving threads, each state's offsets only by the poll thread. */
    private final Map<TopicPartition, PartitionState> partitions = new ConcurrentHashMap<>();
    private final PriorityQueue<KafkaDelivery> delayed = new PriorityQueue<>(Comparator.comparingLong((KafkaDelivery d) -> d.dueAt));
    private final ConcurrentLinkedQueue<KafkaDelivery> done = new ConcurrentLinkedQueue<>();
    private final LeaseTable<KafkaDelivery> leases = new LeaseTable<>();
    private final AtomicInteger republishing = new AtomicInteger();
    private final List<String> topics;
    private final boolean leavesWhenStalled;
    private final long stallTimeoutMs;
    /** Open once the group coordinator has assigned this consumer its partitions for the first time. */
    private final java.util.concurrent.CountDownLatch assigned = new java.util.concurrent.CountDownLatch(1);
    private boolean subscribed = true;
    private boolean leavingStalled;
    private long receiveCallsAtLeave;
    private volatile boolean closing;
    private volatile boolean pausedFull;
    /** Whether the partitions are paused because the receiver was full (poll thread only). */
    private boolean pausedForRoom;
    /** The consumer's live connection count: a Kafka metric, safe to read from any thread; null if the client has none. */
    private final org.apache.kafka.common.Metric connections;
    private long lastCommit;

    QueuePoller(KafkaReceiver receiver, KafkaTransport transport, Topics.Queue queue, Destination fallback, int prefetch,
                boolean leavesWhenStalled) {
        this.receiver = receiver;
        this.transport = transport;
        this.queue = queue;
        this.reader = new WireFormat.Reader(fallback);
        this.name = queue.consumerGroup();
        String instance = queue.consumerGroup() + "-" + Long.toHexString(System.nanoTime() & 0xffffff);
        this.consumer = new KafkaConsumer<>(transport.settings.consumer(queue.consumerGroup(), prefetch, instance));
        this.connections = connectionCount(consumer); // read once here, before the poll thread owns the consumer
        this.topics = queue.hasRetryTopic() ? List.of(queue.topic(), queue.retryTopic()) : List.of(queue.topic());
        this.leavesWhenStalled = leavesWhenStalled;
        this.stallTimeoutMs = Math.min(receiver.ackDeadlineMillis(), transport.settings.stallTimeout.toMillis());
        consumer.subscribe(topics, this);
        this.thread = new Thread(this::run, "courier-kafka-" + name);
        thread.setDaemon(true);
    }

    void start() { thread.start(); }

    private static org.apache.kafka.common.Metric connectionCount(KafkaConsumer<?, ?> c) {
        for (var e : c.metrics().entrySet()) {
            if (e.getKey().name().equals("connection-count") && e.getKey().group().equals("consumer-metrics")) return e.getValue();
        }
        return null;
    }

    /** Whether the consumer holds a connection to the cluster now (the client library reconnects by itself); true if it cannot tell. */
    boolean connected() {
        return connections == null || !(connections.metricValue() instanceof Number n) || n.doubleValue() > 0;
    }

    /** Waits until the consumer has been assigned its partitions (it really consumes); false past the timeout. */
    boolean awaitAssigned(Duration timeout) throws InterruptedException {
        return assigned.await(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    // ------------------------------------------------------------------ settlement (any thread)

    void ack(KafkaDelivery d) {
        if (!leases.settle(d)) {
            log.debug("ignoring ack of {} in state {}", d, d.state());
            return;
        }
        d.state.set(KafkaDelivery.DONE);
        receiver.released(1);
        done.add(d);
    }

    void nack(KafkaDelivery d, Duration delay) {
        if (!leases.settle(d)) {
            log.debug("ignoring nack of {} in state {}", d, d.state());
            return;
        }
        d.state.set(KafkaDelivery.REPUBLISHING);
        receiver.released(1);
        republish(d, delay.isZero() || delay.isNegative() ? 0 : System.currentTimeMillis() + delay.toMillis());
    }

    void extend(KafkaDelivery d, Duration extension) {
        if (leases.extend(d, extension)) d.extended = true;
    }

    /** Called by the receiver when it returns a delivery: starts its lease. */
    boolean lease(KafkaDelivery d, Duration lease) {
        if (!leases.register(d, lease)) return false;
        if (!d.move(KafkaDelivery.BUFFERED, KafkaDelivery.LEASED)) {
            leases.forget(d); // released meanwhile
            return false;
        }
        PartitionState ps = partitions.get(d.partition);
        if (ps != null) ps.handed.accumulateAndGet(d.offset(), Math::max);
        return true;
    }

    /** Republishes for redelivery; the original becomes done once the copy is durable, or is retried later. */
    private void republish(KafkaDelivery d, long redeliverAt) {
        republishing.incrementAndGet();
        var record = WireFormat.toRetryRecord(queue.retryTopic(), d.record, d.message, d.attempt + 1, redeliverAt);
        transport.publish(record, d.message.id(), () -> d.message.payload().length).whenComplete((v, e) -> {
            try {
                if (e == null) {
                    d.move(KafkaDelivery.REPUBLISHING, KafkaDelivery.DONE);
                    done.add(d);
                } else if (d.move(KafkaDelivery.REPUBLISHING, KafkaDelivery.LEASED)) {
                    // Not lost: the record stays uncommitted and is tried again when this short lease expires.
                    log.warn("redelivery republish failed transport=kafka topic={} messageId={}; retrying in 1 s: {}",
                            queue.retryTopic(), d.message.id(), e.toString());
                    receiver.held(1);
                    leases.register(d, Duration.ofSeconds(1));
                }
            } finally {
                republishing.decrementAndGet();
            }
        });
    }

    // ------------------------------------------------------------------ the poll thread

    private void run() {
        long backoff = 100;
        while (!closing) {
            try {
                long now = System.currentTimeMillis();
                drainDone();
                expireLeases();
                releaseDue(now);
                maybeCommit(now, false);
                if (!followStall(now)) {
                    sleep(50);
                    continue;
                }
                adjustPause();
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(pollTimeout(now)));
                if (!records.isEmpty()) {
                    long polledAt = System.currentTimeMillis();
                    for (ConsumerRecord<byte[], byte[]> r : records) accept(r, polledAt);
                }
                backoff = 100;
                receiver.clearFailure();
            } catch (WakeupException e) {
                // a settlement freed room, or close: loop
            } catch (AuthenticationException | AuthorizationException e) {
                receiver.fail(Errors.general(e, transport.settings, "consuming " + queue.topic()));
                log.warn("consumer failed transport=kafka group={}: {}", name, e.toString());
                sleep(backoff);
                backoff = Math.min(5_000, backoff * 2);
            } catch (KafkaException | IllegalStateException e) {
                if (closing) break;
                log.warn("consumer error transport=kafka group={}; retrying in {} ms: {}", name, backoff, e.toString());
                sleep(backoff);
                backoff = Math.min(5_000, backoff * 2);
            } catch (RuntimeException e) {
                log.error("unexpected consumer error transport=kafka group={}", name, e);
                sleep(backoff);
            }
        }
        shutdown();
    }

    /**
     * Leaves the consumer group while the receiver is stalled (due records wait, nobody asks), so that other members
     * take its partitions, and rejoins on its next receive. Returns whether the consumer is subscribed.
     */
    private boolean followStall(long now) {
        if (!leavesWhenStalled) return true;
        if (subscribed && receiver.stalled(now, stallTimeoutMs)) {
            log.info("receiver stalled transport=kafka group={}: records wait but none was asked for in {} ms; leaving the consumer group so other members take its partitions",
                    name, stallTimeoutMs);
            receiveCallsAtLeave = receiver.receiveCalls();
            leavingStalled = true;
            try {
                consumer.unsubscribe();
            } finally {
                leavingStalled = false;
            }
            subscribed = false;
        } else if (!subscribed && receiver.receiveCalls() != receiveCallsAtLeave) {
            log.info("receiver active again transport=kafka group={}: rejoining the consumer group", name);
            consumer.subscribe(topics, this);
            subscribed = true;
        }
        return subscribed;
    }

    private long pollTimeout(long now) {
        long t = MAX_POLL_MS;
        KafkaDelivery next = delayed.peek();
        if (next != null) t = Math.min(t, next.dueAt - now);
        return Math.max(1, t);
    }

    private void accept(ConsumerRecord<byte[], byte[]> r, long now) {
        TopicPartition tp = partitionOf(r);
        PartitionState ps = partitions.get(tp);
        if (ps == null) return; // revoked meanwhile: the next owner reads it
        if (ps.outstanding.containsKey(r.offset())) return;
        ps.fetchedUpTo = Math.max(ps.fetchedUpTo, r.offset() + 1);
        KafkaDelivery d;
        boolean later;
        try {
            WireFormat.Incoming in = reader.read(r);
            later = in.dueAt() > now;
            d = new KafkaDelivery(this, r, tp, in.message(), in.attempt() + ps.extraAttempts(r.offset()), in.dueAt(),
                    later ? KafkaDelivery.DELAYED : KafkaDelivery.BUFFERED);
        } catch (RuntimeException e) {
            // A record Courier cannot represent is never silently skipped: it is kept uncommitted and logged.
            log.error("cannot read record transport=kafka topic={} partition={} offset={}: {}; it stays uncommitted",
                    r.topic(), r.partition(), r.offset(), e.toString());
            ps.outstanding.put(r.offset(), null);
            return;
        }
        ps.outstanding.put(r.offset(), d);
        if (later) delayed.add(d);
        else receiver.offer(d);
    }

    /** The record's partition; the records of one poll come partition by partition, so the last one is reused. */
    private TopicPartition partitionOf(ConsumerRecord<byte[], byte[]> r) {
        TopicPartition tp = lastPartition;
        if (tp == null || tp.partition() != r.partition() || !tp.topic().equals(r.topic())) {
            tp = new TopicPartition(r.topic(), r.partition());
            lastPartition = tp;
        }
        return tp;
    }

    private void releaseDue(long now) {
        while (!delayed.isEmpty() && delayed.peek().dueAt <= now) {
            KafkaDelivery d = delayed.poll();
            if (d.move(KafkaDelivery.DELAYED, KafkaDelivery.BUFFERED)) receiver.offer(d);
        }
    }

    private void expireLeases() {
        leases.sweep(d -> {
            d.state.set(KafkaDelivery.REPUBLISHING);
            receiver.released(1);
            log.info("lease expired transport=kafka destination={} messageId={} attempt={} topic={} partition={} offset={}; redelivering as attempt {}",
                    d.message.destination(), d.message.id(), d.attempt, d.partition.topic(), d.partition.partition(), d.offset(), d.attempt + 1);
            republish(d, 0);
        });
    }

    private void drainDone() {
        KafkaDelivery d;
        while ((d = done.poll()) != null) {
            PartitionState ps = partitions.get(d.partition);
            if (ps != null && ps.outstanding.get(d.offset()) == d) ps.outstanding.remove(d.offset());
        }
    }

    private void adjustPause() {
        Set<TopicPartition> assigned = consumer.assignment();
        Set<TopicPartition> want;
        // Paused because full: stay paused until the receiver has drained to its resume mark (hysteresis).
        boolean full = pausedForRoom ? !receiver.canResume() : receiver.isFull();
        pausedForRoom = full;
        if (full) {
            want = assigned;
        } else if (delayed.size() >= transport.settings.delayBuffer) {
            want = new HashSet<>();
            for (KafkaDelivery d : delayed) if (assigned.contains(d.partition)) want.add(d.partition);
        } else {
            want = Set.of();
        }
        Set<TopicPartition> paused = consumer.paused();
        List<TopicPartition> toPause = new ArrayList<>();
        for (TopicPartition tp : want) if (!paused.contains(tp)) toPause.add(tp);
        List<TopicPartition> toResume = new ArrayList<>();
        for (TopicPartition tp : paused) if (!want.contains(tp)) toResume.add(tp);
        if (!toPause.isEmpty()) consumer.pause(toPause);
        if (!toResume.isEmpty()) consumer.resume(toResume);
        pausedFull = full && !assigned.isEmpty();
        if (pausedFull && receiver.canResume()) consumer.wakeup(); // drained meanwhile: its wakeup may have been missed
    }

    /** The receiver has room again: if this poller sleeps in a paused poll, wake it. */
    void roomAvailable() {
        if (pausedFull) {
            pausedFull = false;
            consumer.wakeup();
        }
    }

    private void maybeCommit(long now, boolean sync) {
        if (!sync && now - lastCommit < transport.settings.commitInterval.toMillis()) return;
        lastCommit = now;
        Map<TopicPartition, OffsetAndMetadata> offsets = committable(partitions.keySet());
        if (offsets.isEmpty()) return;
        if (sync) {
            commitSync(offsets);
        } else {
            consumer.commitAsync(offsets, (o, e) -> {
                if (e == null) {
                    transport.watch.success();
                    return;
                }
                log.debug("async commit failed transport=kafka group={}: {}", name, e.toString());
                if (e instanceof org.apache.kafka.common.errors.RetriableException) transport.watch.failure(e);
                // retry with the next commit
                for (TopicPartition tp : o.keySet()) {
                    PartitionState ps = partitions.get(tp);
                    if (ps != null) ps.committedOffset = -2;
                }
            });
        }
    }

    /** Offsets (with metadata) that changed since the last commit, for these partitions; records them as committed. */
    private Map<TopicPartition, OffsetAndMetadata> committable(Collection<TopicPartition> tps) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition tp : tps) {
            PartitionState ps = partitions.get(tp);
            if (ps == null) continue;
            long c = ps.committable();
            if (c < 0) continue;
            String md = ps.metadata(c);
            if (c == ps.committedOffset && md.equals(ps.committedMetadata)) continue;
            ps.committedOffset = c;
            ps.committedMetadata = md;
            offsets.put(tp, new OffsetAndMetadata(c, md));
        }
        return offsets;
    }

    private void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
        try {
            retryOnWakeup(() -> { consumer.commitSync(offsets, transport.settings.connectTimeout); return null; });
        } catch (KafkaException e) {
            log.warn("commit failed transport=kafka group={} offsets={}: {} (uncommitted records are redelivered)", name, offsets, e.toString());
        }
    }

    /** Runs a blocking consumer call; a wakeup meant for the poll does not abort it. */
    private <T> T retryOnWakeup(Supplier<T> call) {
        for (int i = 0; ; i++) {
            try {
                return call.get();
            } catch (WakeupException e) {
                if (i >= 3) throw e;
            }
        }
    }

    // ------------------------------------------------------------------ rebalance (poll thread, inside poll)

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
        if (assigned.isEmpty()) return;
        Map<TopicPartition, OffsetAndMetadata> committed;
        try {
            committed = retryOnWakeup(() -> consumer.committed(new HashSet<>(assigned), transport.settings.connectTimeout));
        } catch (KafkaException e) {
            log.warn("cannot read committed offsets transport=kafka group={}: {}; attempts of re-read records may be undercounted", name, e.toString());
            committed = Map.of();
        }
        for (TopicPartition tp : assigned) {
            OffsetAndMetadata om = committed.get(tp);
            PartitionState ps = new PartitionState(om == null ? -1 : om.offset(), om == null ? "" : om.metadata());
            partitions.put(tp, ps);
        }
        log.info("partitions assigned transport=kafka group={} partitions={} (of this consumer: {})", name, assigned, partitions.keySet().size());
        this.assigned.countDown();
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
        if (revoked.isEmpty()) return;
        awaitInFlight(revoked, leavingStalled);
        awaitRepublishes();
        drainDone();
        commitSync(committable(revoked));
        int released = release(revoked);
        log.info("partitions revoked transport=kafka group={} partitions={}: settled offsets committed, {} unsettled records left for the next owner",
                name, revoked, released);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> lost) {
        if (lost.isEmpty()) return;
        int released = release(lost);
        log.warn("partitions lost transport=kafka group={} partitions={} (session expired or connection gone): {} unsettled records will be redelivered by their new owner",
                name, lost, released);
    }

    /** Forgets these partitions: their unsettled records are read again by the next owner. */
    private int release(Collection<TopicPartition> tps) {
        int n = 0;
        for (TopicPartition tp : tps) {
            PartitionState ps = partitions.remove(tp);
            if (ps == null) continue;
            for (KafkaDelivery d : ps.outstanding.values()) {
                if (d == null) continue;
                int s = d.state();
                if (s == KafkaDelivery.LEASED && leases.forget(d)) {
                    d.state.set(KafkaDelivery.RELEASED);
                    receiver.released(1);
                    n++;
                } else if (s == KafkaDelivery.BUFFERED && d.move(s, KafkaDelivery.RELEASED)) {
                    receiver.released(1);
                    n++;
                } else if (s == KafkaDelivery.DELAYED && d.move(s, KafkaDelivery.RELEASED)) {
                    n++;
                }
            }
        }
        delayed.removeIf(d -> d.state() == KafkaDelivery.RELEASED);
        return n;
    }

    /**
     * Before letting partitions go: hands out nothing more from them, and waits up to {@code revoke-grace} (and no
     * longer than their leases, which a working handler keeps extending) for the deliveries being handled to be
     * settled, so that they are committed rather than delivered a second time by the next owner (C3, C16). When the
     * receiver is stalled, only deliveries whose lease is being extended are waited for.
     */
    private void awaitInFlight(Collection<TopicPartition> tps, boolean onlyExtended) {
        List<KafkaDelivery> inFlight = new ArrayList<>();
        for (TopicPartition tp : tps) {
            PartitionState ps = partitions.get(tp);
            if (ps == null) continue;
            for (KafkaDelivery d : ps.outstanding.values()) {
                if (d == null) continue;
                if (d.move(KafkaDelivery.BUFFERED, KafkaDelivery.RELEASED)) receiver.released(1);
                else if (d.state() == KafkaDelivery.LEASED) inFlight.add(d);
            }
        }
        long deadline = System.currentTimeMillis() + transport.settings.revokeGrace.toMillis();
        while (!closing && System.currentTimeMillis() < deadline
                && inFlight.stream().anyMatch(d -> leases.isRunning(d) && (!onlyExtended || d.extended))) {
            sleep(5);
        }
    }

    /** Waits (bounded by send-timeout) until republishes in flight are durable, so their originals can be committed. */
    private void awaitRepublishes() {
        long deadline = System.currentTimeMillis() + transport.settings.sendTimeout.toMillis();
        while (republishing.get() > 0 && System.currentTimeMillis() < deadline) sleep(5);
    }

    // ------------------------------------------------------------------ close

    void close() {
        closing = true;
        consumer.wakeup();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(transport.settings.sendTimeout.toMillis() + 15_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void shutdown() {
        try {
            awaitRepublishes();
            drainDone();
            maybeCommit(System.currentTimeMillis(), true);
            int released = release(new ArrayList<>(partitions.keySet()));
            consumer.close(Duration.ofSeconds(5));
            log.info("consumer closed transport=kafka group={}: {} unsettled records left for redelivery", name, released);
        } catch (RuntimeException e) {
            log.warn("consumer close failed transport=kafka group={}: {}", name, e.toString());
            try { consumer.close(Duration.ZERO); } catch (RuntimeException ignored) { /* closing */ }
        }
    }

    private static void sleep(long ms) {
        try { Thread.sleep(ms); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
    }

}
