package io.courier.runtime;

import io.courier.Courier;
import io.courier.Delivery;
import io.courier.Destination;
import io.courier.Handler;
import io.courier.Message;
import io.courier.NonRetryableException;
import io.courier.Subscription;
import io.courier.SubscriptionOptions;
import io.courier.spi.Received;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The shared runtime of one subscription, written once for every transport: a fetch loop that never holds more
 * than {@code prefetch} unsettled deliveries (C11); {@code concurrency} handler virtual threads (workers) taking
 * fetched deliveries in order, one at a time per ordering key (C9); acks on success; retries by the
 * {@link io.courier.RetryPolicy} sharing the broker's attempt counter, so attempts never multiply (C15);
 * dead-lettering with reason headers (C7); lease extension while a handler runs, up to {@code maxHandlingTime}
 * (C16); graceful close (C13).
 *
 * <p>Acks are coalesced: a finished handler's ack is queued and handed to {@link Receiver#ack} in one call per
 * burst, by the worker when it runs out of ready deliveries, after {@link #ACK_BATCH_MAX} acks or once the oldest
 * queued ack is {@link #ACK_DELAY_MAX_NANOS} old; also on each lease-keeper tick, at once for an ack made outside
 * a handler, and always before the receiver closes (C13). A queued delivery still counts against the prefetch.
 * Nacks and dead-letters are not queued.
 */
public final class SubscriptionRuntime implements Subscription {
    private static final Logger log = LoggerFactory.getLogger(SubscriptionRuntime.class);
    private static final ScheduledExecutorService LEASE_KEEPER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "courier-lease-keeper");
        t.setDaemon(true);
        return t;
    });

    private final Courier courier;
    private final SubscriptionOptions options;
    private final Handler handler;
    private final Consumer<SubscriptionRuntime> onClosed;
    private final String transportName;
    private final Object lock = new Object();
    private final Set<RuntimeDelivery> unsettled = ConcurrentHashMap.newKeySet();
    private final Set<RuntimeDelivery> running = ConcurrentHashMap.newKeySet();
    /** Fetched deliveries a worker may start (their ordering key is free), in fetch order; {@link #STOP} ends a worker. */
    private final LinkedBlockingQueue<RuntimeDelivery> ready = new LinkedBlockingQueue<>();
    private final RuntimeDelivery STOP = new RuntimeDelivery(null);
    private final List<Thread> workers = new ArrayList<>();
    /** Acked deliveries not yet handed to the receiver: settled, still unsettled for the broker and the prefetch. */
    private final ConcurrentLinkedQueue<RuntimeDelivery> pendingAcks = new ConcurrentLinkedQueue<>();
    private final AtomicInteger pendingAckCount = new AtomicInteger();
    private final int ackBatch;
    private volatile long oldestPendingAckNanos;
    private final Map<String, ArrayDeque<RuntimeDelivery>> keyQueues = new HashMap<>();
    private final AtomicInteger settling = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean closing;
    private volatile boolean paused;
    private Receiver receiver;
    private Thread fetcher;
    private ScheduledFuture<?> leaseTask;

    public SubscriptionRuntime(Courier courier, SubscriptionOptions options, Handler handler, Consumer<SubscriptionRuntime> onClosed) {
        this.courier = courier;
        this.options = options;
        this.handler = handler;
        this.onClosed = onClosed;
        this.transportName = courier.transportName();
        this.ackBatch = Math.max(1, Math.min(ACK_BATCH_MAX, options.prefetch() / 4));
    }

    /** The most acks handed to the receiver in one call. */
    static final int ACK_BATCH_MAX = 64;
    /** The longest a finished handler's ack waits in the queue while its worker goes on with ready deliveries. */
    static final long ACK_DELAY_MAX_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    /** Opens the receiver and starts fetching. */
    public void start() {
        receiver = courier.transport().openReceiver(new ReceiverSpec(options.group(), options.member(), options.prefetch(), options.ackDeadline()));
        for (int i = 0; i < options.concurrency(); i++) {
            workers.add(Thread.ofVirtual().name("courier-handler-" + options.group() + "-" + i).start(this::workLoop));
        }
        fetcher = Thread.ofVirtual().name("courier-fetch-" + options.group()).start(this::fetchLoop);
        long period = Math.max(20, options.ackDeadline().toMillis() / 3);
        leaseTask = LEASE_KEEPER.scheduleAtFixedRate(this::keepLeases, period, period, TimeUnit.MILLISECONDS);
        log.info("subscribed transport={} group={} member={} concurrency={} prefetch={} maxAttempts={}", transportName,
                options.group(), options.member(), options.concurrency(), options.prefetch(), options.retry().maxAttempts());
    }

    // ---------------------------------------------------------------- fetching

    private void fetchLoop() {
        long backoffMs = 100;
        while (!closing) {
            int room;
            synchronized (lock) {
                while (!closing && (paused || unsettled.size() >= options.prefetch())) {
                    try { lock.wait(options.pollWait().toMillis()); } catch (InterruptedException e) { if (closing) return; }
                }
                if (closing) return;
                room = options.prefetch() - unsettled.size();
            }
            List<? extends Received> got;
            try {
                got = receiver.receive(room, options.pollWait());
                backoffMs = 100;
            } catch (InterruptedException e) {
                if (closing) return;
                continue;
            } catch (RuntimeException e) {
                if (closing) return;
                log.warn("receive failed transport={} group={} member={}; retrying in {} ms: {}", transportName,
                        options.group(), options.member(), backoffMs, e.toString());
                sleepQuietly(backoffMs);
                backoffMs = Math.min(backoffMs * 2, 5_000);
                continue;
            }
            for (Received r : got) accept(r);
        }
    }

    private void accept(Received r) {
        RuntimeDelivery d = new RuntimeDelivery(r);
        unsettled.add(d);
        int max = options.retry().maxAttempts();
        if (r.attempt() > max) {
            // The broker redelivered it past the limit (lease expired, consumer lost): attempts never multiply (C15).
            deadLetter(d, "delivered " + r.attempt() + " times, more than maxAttempts=" + max
                    + " (earlier attempts were not settled: lease expired or consumer lost)");
            return;
        }
        if (r.attempt() > 1) {
            log.info("redelivery transport={} destination={} messageId={} attempt={}", transportName,
                    r.message().destination(), r.message().id(), r.attempt());
        }
        String key = r.message().orderingKey();
        if (key != null) {
            synchronized (keyQueues) {
                ArrayDeque<RuntimeDelivery> q = keyQueues.get(key);
                if (q != null) { q.add(d); return; }
                keyQueues.put(key, new ArrayDeque<>());
            }
        }
        ready.add(d);
    }

    private void startNextOfKey(String key) {
        RuntimeDelivery next;
        synchronized (keyQueues) {
            ArrayDeque<RuntimeDelivery> q = keyQueues.get(key);
            next = q == null ? null : q.poll();
            if (next == null) { keyQueues.remove(key); return; }
        }
        ready.add(next);
    }

    // ---------------------------------------------------------------- handling

    /** One of the {@code concurrency} workers: runs ready deliveries until {@link #STOP}, flushing acks between bursts. */
    private void workLoop() {
        while (true) {
            RuntimeDelivery d = ready.poll();
            if (d == null) {
                flushAcks(); // nothing more to run now: hand over what this burst acked
                try {
                    d = ready.take();
                } catch (InterruptedException e) {
                    continue; // only STOP ends a worker
                }
            }
            if (d == STOP) return;
            run(d);
            int pending = pendingAckCount.get();
            if (pending > 0 && (pending >= ackBatch || System.nanoTime() - oldestPendingAckNanos >= ACK_DELAY_MAX_NANOS)) {
                flushAcks();
            }
        }
    }

    private void run(RuntimeDelivery d) {
        String key = d.message().orderingKey();
        running.add(d);
        try {
            if (closing || d.settled.get()) return; // close releases it
            d.startedNanos = System.nanoTime();
            d.thread = Thread.currentThread();
            d.handlerState.set(RuntimeDelivery.RUNNING);
            putMdc(d.message());
            try {
                handler.handle(d);
                if (!d.settled.get()) d.ack();
            } catch (NonRetryableException e) {
                deadLetter(d, "not retryable: " + describe(e));
            } catch (Throwable t) {
                if (!d.settled.get()) fail(d, t);
            } finally {
                // from here no interrupt aimed at this handler can reach the worker: wait out one being delivered
                while (!d.handlerState.compareAndSet(RuntimeDelivery.RUNNING, RuntimeDelivery.FINISHED)) Thread.onSpinWait();
                d.thread = null;
                if (Thread.currentThread().isInterrupted()) Thread.interrupted(); // not for the next delivery
                MDC.clear();
            }
        } finally {
            running.remove(d);
            if (key != null) startNextOfKey(key);
            if (closing) synchronized (lock) { lock.notifyAll(); }
        }
    }

    /** Interrupts the handler of {@code d} if it is still running it (and not a later delivery on the same worker). */
    private static void interruptHandler(RuntimeDelivery d) {
        if (!d.handlerState.compareAndSet(RuntimeDelivery.RUNNING, RuntimeDelivery.INTERRUPTING)) return;
        try {
            d.thread.interrupt();
        } finally {
            d.handlerState.set(RuntimeDelivery.RUNNING);
        }
    }

    private void fail(RuntimeDelivery d, Throwable t) {
        int attempt = d.attempt();
        int max = options.retry().maxAttempts();
        if (attempt >= max) {
            deadLetter(d, "failed " + attempt + " of maxAttempts=" + max + ": " + describe(t));
            return;
        }
        Duration delay = options.retry().delayAfter(attempt);
        log.info("handler failed transport={} destination={} messageId={} attempt={}/{}; redelivery in {} ms: {}",
                transportName, d.message().destination(), d.message().id(), attempt, max, delay.toMillis(), describe(t));
        settle(d, () -> receiver.nack(List.of(d.received), delay));
    }

    private void deadLetter(RuntimeDelivery d, String reason) {
        if (!d.settled.compareAndSet(false, true)) return;
        Message m = d.message();
        Message dead = deadLetterOf(m, options.deadLetterGroup(), reason, d.attempt());
        settling.incrementAndGet();
        courier.send(dead).whenComplete((v, e) -> {
            try {
                if (e == null) {
                    log.warn("dead-lettered transport={} destination={} messageId={} attempts={} to={} reason={}",
                            transportName, m.destination(), m.id(), d.attempt(), dead.destination(), reason);
                    safely(() -> receiver.ack(List.of(d.received)));
                } else {
                    log.warn("dead-letter send failed transport={} messageId={} to={}; message kept for redelivery: {}",
                            transportName, m.id(), dead.destination(), e.toString());
                    safely(() -> receiver.nack(List.of(d.received), Duration.ofSeconds(1)));
                }
            } finally {
                settled(d);
                settling.decrementAndGet();
            }
        });
    }

    /**
     * The message sent to {@code any@deadLetterGroup} when {@code m} is dead-lettered after {@code attempts}
     * attempts: payload and headers intact, plus the reason, the attempt count and the original destination (C7).
     * Public so that other drivers of the same policy (the deterministic simulation) build the same dead letter.
     */
    public static Message deadLetterOf(Message m, String deadLetterGroup, String reason, int attempts) {
        return m.toBuilder()
                .destination(Destination.any(deadLetterGroup))
                .orderingKey(null).notBefore(null)
                .header(Message.DEAD_LETTER_REASON, reason)
                .header(Message.ATTEMPTS, Integer.toString(attempts))
                .header(Message.ORIGINAL_DESTINATION, m.destination().toString())
                .build();
    }

    /** Runs a settlement exactly once per delivery; later settlements are no-ops. */
    private boolean settle(RuntimeDelivery d, Runnable action) {
        if (!d.settled.compareAndSet(false, true)) return false;
        try {
            safely(action);
        } finally {
            settled(d);
        }
        return true;
    }

    private void settled(RuntimeDelivery d) {
        unsettled.remove(d);
        synchronized (lock) { lock.notifyAll(); }
    }

    /** Queues the ack of a delivery this call settled; flushed at once when not called from its running handler. */
    private boolean queueAck(RuntimeDelivery d) {
        if (!d.settled.compareAndSet(false, true)) return false;
        if (pendingAckCount.getAndIncrement() == 0) oldestPendingAckNanos = System.nanoTime();
        pendingAcks.add(d);
        if (d.thread != Thread.currentThread()) flushAcks(); // no worker would flush it soon
        return true;
    }

    /** Hands every queued ack to the receiver in one call. Any thread; close waits for a flush in progress. */
    private void flushAcks() {
        if (pendingAcks.isEmpty()) return;
        settling.incrementAndGet();
        try {
            List<RuntimeDelivery> batch = new ArrayList<>();
            for (RuntimeDelivery d; (d = pendingAcks.poll()) != null; ) batch.add(d);
            if (batch.isEmpty()) return;
            pendingAckCount.addAndGet(-batch.size());
            List<Received> received = new ArrayList<>(batch.size());
            for (RuntimeDelivery d : batch) received.add(d.received);
            safely(() -> receiver.ack(received));
            batch.forEach(unsettled::remove);
        } finally {
            settling.decrementAndGet();
            synchronized (lock) { lock.notifyAll(); }
        }
    }

    private void safely(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            log.warn("settlement failed transport={} group={}: {} (the message will be redelivered)", transportName, options.group(), e.toString());
        }
    }

    // ---------------------------------------------------------------- leases (C16)

    private void keepLeases() {
        if (!closing && !pendingAcks.isEmpty()) Thread.ofVirtual().start(this::flushAcks); // a worker stuck in a long handler
        if (closing || unsettled.isEmpty()) return;
        long now = System.nanoTime();
        long maxNanos = options.maxHandlingTime().toNanos();
        List<Received> extend = new ArrayList<>();
        for (RuntimeDelivery d : unsettled) {
            if (d.settled.get()) continue;
            if (d.startedNanos != 0 && now - d.startedNanos > maxNanos && d.thread != null) {
                log.warn("handler exceeded maxHandlingTime={} transport={} destination={} messageId={} attempt={}; failing the delivery",
                        options.maxHandlingTime(), transportName, d.message().destination(), d.message().id(), d.attempt());
                fail(d, new TimeoutException("handler ran longer than maxHandlingTime " + options.maxHandlingTime()));
                interruptHandler(d);
                continue;
            }
            extend.add(d.received);
        }
        if (!extend.isEmpty()) {
            Thread.ofVirtual().start(() -> safely(() -> receiver.extendLease(extend, options.ackDeadline())));
        }
    }

    // ---------------------------------------------------------------- control

    @Override
    public void pause() { paused = true; }

    @Override
    public void resume() {
        paused = false;
        synchronized (lock) { lock.notifyAll(); }
    }

    @Override
    public int inFlight() { return unsettled.size(); }

    @Override
    public boolean isClosed() { return closed.get(); }

    @Override
    public void close() { close(options.closeGrace()); }

    @Override
    public void close(Duration grace) {
        if (!closed.compareAndSet(false, true)) return;
        closing = true;
        synchronized (lock) { lock.notifyAll(); }
        if (fetcher != null) fetcher.interrupt(); // a receive in progress would take messages released by closing peers
        joinQuietly(fetcher, options.pollWait().toMillis() + 2_000);
        for (int i = 0; i < workers.size(); i++) ready.add(STOP); // after what is ready: workers skip it, closing
        long deadline = System.nanoTime() + grace.toNanos();
        synchronized (lock) {
            while ((!running.isEmpty() || settling.get() > 0) && System.nanoTime() < deadline) {
                try { lock.wait(Math.max(1, Math.min(50, (deadline - System.nanoTime()) / 1_000_000))); }
                catch (InterruptedException e) { Thread.currentThread().interrupt(); break; }
            }
        }
        List<Received> unfinished = new ArrayList<>(), unseen = new ArrayList<>();
        for (RuntimeDelivery d : unsettled) {
            if (d.settled.compareAndSet(false, true)) {
                (d.startedNanos != 0 ? unfinished : unseen).add(d.received);
                interruptHandler(d);
            }
        }
        joinWorkers(500); // interrupted handlers return; their workers then stop
        flushAcks(); // what finished handlers acked, before the receiver closes (C13)
        if (!unfinished.isEmpty() || !unseen.isEmpty()) {
            log.info("closing transport={} group={} member={}: releasing {} unfinished and {} unstarted deliveries for redelivery",
                    transportName, options.group(), options.member(), unfinished.size(), unseen.size());
            if (!unfinished.isEmpty()) safely(() -> receiver.nack(unfinished, Duration.ZERO));
            if (!unseen.isEmpty()) safely(() -> receiver.release(unseen));
        }
        unsettled.clear();
        if (leaseTask != null) leaseTask.cancel(false);
        safely(receiver::close);
        onClosed.accept(this);
        log.info("subscription closed transport={} group={} member={}", transportName, options.group(), options.member());
    }

    // ---------------------------------------------------------------- helpers

    private void putMdc(Message m) {
        MDC.put("courier.transport", transportName);
        MDC.put("courier.destination", m.destination().toString());
        MDC.put("courier.messageId", m.id());
    }

    private static String describe(Throwable t) {
        return t.getClass().getName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    private static void sleepQuietly(long ms) {
        try { Thread.sleep(ms); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
    }

    private void joinWorkers(long ms) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        try {
            for (Thread w : workers) {
                if (w == Thread.currentThread()) continue; // close called from a handler
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) break;
                w.join(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void joinQuietly(Thread t, long ms) {
        if (t == null) return;
        try {
            t.join(ms);
            if (t.isAlive()) { t.interrupt(); t.join(2_000); }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A delivery as the handler sees it; settles once. */
    private final class RuntimeDelivery implements Delivery {
        final Received received;
        final AtomicBoolean settled = new AtomicBoolean();
        static final int IDLE = 0, RUNNING = 1, INTERRUPTING = 2, FINISHED = 3;
        /** The worker running its handler, while {@link #handlerState} is RUNNING or INTERRUPTING. */
        volatile Thread thread;
        /** IDLE, RUNNING (handler on {@link #thread}), INTERRUPTING (an interrupt being delivered), FINISHED. */
        final AtomicInteger handlerState = new AtomicInteger(IDLE);
        volatile long startedNanos;

        RuntimeDelivery(Received received) { this.received = received; }

        @Override public Message message() { return received.message(); }

        @Override public int attempt() { return received.attempt(); }

        @Override public boolean ack() { return queueAck(this); }

        @Override public boolean nack(Duration delay) { return settle(this, () -> receiver.nack(List.of(received), delay)); }

        @Override
        public boolean deadLetter(String reason) {
            if (settled.get()) return false;
            SubscriptionRuntime.this.deadLetter(this, reason);
            return true;
        }
    }
}
