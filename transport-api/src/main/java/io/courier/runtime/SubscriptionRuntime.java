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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
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
 * than {@code prefetch} unsettled deliveries (C11); handlers on virtual threads, at most {@code concurrency} at
 * once and one at a time per ordering key (C9); acks on success; retries by the {@link io.courier.RetryPolicy}
 * sharing the broker's attempt counter, so attempts never multiply (C15); dead-lettering with reason headers (C7);
 * lease extension while a handler runs, up to {@code maxHandlingTime} (C16); graceful close (C13).
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
    private final Semaphore handlerSlots;
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
        this.handlerSlots = new Semaphore(options.concurrency());
    }

    /** Opens the receiver and starts fetching. */
    public void start() {
        receiver = courier.transport().openReceiver(new ReceiverSpec(options.group(), options.member(), options.prefetch(), options.ackDeadline()));
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
        if (key == null) {
            Thread.ofVirtual().start(() -> run(d));
            return;
        }
        synchronized (keyQueues) {
            ArrayDeque<RuntimeDelivery> q = keyQueues.get(key);
            if (q != null) { q.add(d); return; }
            keyQueues.put(key, new ArrayDeque<>());
        }
        Thread.ofVirtual().start(() -> run(d));
    }

    private void startNextOfKey(String key) {
        RuntimeDelivery next;
        synchronized (keyQueues) {
            ArrayDeque<RuntimeDelivery> q = keyQueues.get(key);
            next = q == null ? null : q.poll();
            if (next == null) { keyQueues.remove(key); return; }
        }
        Thread.ofVirtual().start(() -> run(next));
    }

    // ---------------------------------------------------------------- handling

    private void run(RuntimeDelivery d) {
        String key = d.message().orderingKey();
        try {
            handlerSlots.acquire();
        } catch (InterruptedException e) {
            return;
        }
        try {
            running.add(d);
            if (closing || d.settled.get()) return; // close releases it
            d.thread = Thread.currentThread();
            d.startedNanos = System.nanoTime();
            putMdc(d.message());
            try {
                handler.handle(d);
                if (!d.settled.get()) d.ack();
            } catch (NonRetryableException e) {
                deadLetter(d, "not retryable: " + describe(e));
            } catch (Throwable t) {
                if (!d.settled.get()) fail(d, t);
            } finally {
                d.thread = null;
                MDC.clear();
            }
        } finally {
            running.remove(d);
            handlerSlots.release();
            Thread.interrupted(); // clear an interrupt aimed at the handler
            if (key != null) startNextOfKey(key);
            synchronized (lock) { lock.notifyAll(); }
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

    private void safely(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            log.warn("settlement failed transport={} group={}: {} (the message will be redelivered)", transportName, options.group(), e.toString());
        }
    }

    // ---------------------------------------------------------------- leases (C16)

    private void keepLeases() {
        if (closing || unsettled.isEmpty()) return;
        long now = System.nanoTime();
        long maxNanos = options.maxHandlingTime().toNanos();
        List<Received> extend = new ArrayList<>();
        for (RuntimeDelivery d : unsettled) {
            if (d.settled.get()) continue;
            if (d.startedNanos != 0 && now - d.startedNanos > maxNanos && d.thread != null) {
                Thread t = d.thread;
                log.warn("handler exceeded maxHandlingTime={} transport={} destination={} messageId={} attempt={}; failing the delivery",
                        options.maxHandlingTime(), transportName, d.message().destination(), d.message().id(), d.attempt());
                fail(d, new TimeoutException("handler ran longer than maxHandlingTime " + options.maxHandlingTime()));
                t.interrupt();
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
                Thread t = d.thread;
                if (t != null) t.interrupt();
            }
        }
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
        volatile Thread thread;
        volatile long startedNanos;

        RuntimeDelivery(Received received) { this.received = received; }

        @Override public Message message() { return received.message(); }

        @Override public int attempt() { return received.attempt(); }

        @Override public boolean ack() { return settle(this, () -> receiver.ack(List.of(received))); }

        @Override public boolean nack(Duration delay) { return settle(this, () -> receiver.nack(List.of(received), delay)); }

        @Override
        public boolean deadLetter(String reason) {
            if (settled.get()) return false;
            SubscriptionRuntime.this.deadLetter(this, reason);
            return true;
        }
    }
}
