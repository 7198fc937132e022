package io.courier.runtime;

import io.courier.Handler;
import io.courier.Message;
import io.courier.Subscription;
import io.courier.SubscriptionHealth;
import io.courier.SubscriptionOptions;
import io.courier.runtime.SettlementPolicy.DeadLetter;
import io.courier.spi.Received;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The shared runtime of one subscription, written once for every transport, assembled from small parts: a
 * {@link FetchLoop} that never holds more than the prefetch window ({@link AdaptivePrefetch}: the fixed
 * {@code prefetch}, or one adapting up to it) of unsettled deliveries (C11); {@code concurrency}
 * long-lived worker virtual threads taking fetched deliveries in order, one at a time per ordering key
 * ({@link KeySequencer}, C9); the {@link SettlementPolicy} deciding ack, retry or dead letter (C7, C15), carried
 * out once per delivery by the {@link Settler} with coalesced acks; a lease thread of its own extending leases while
 * handlers run, up to {@code maxHandlingTime} ({@link LeaseUpkeep}, C16); graceful close (C13).
 */
public final class SubscriptionRuntime implements Subscription {
    private static final Logger log = LoggerFactory.getLogger(SubscriptionRuntime.class);

    private final SubscriptionHost host;
    private final SubscriptionOptions options;
    private final Handler handler;
    private final Consumer<SubscriptionRuntime> onClosed;
    private final String where;
    private final Telemetry telemetry;
    private final ReceiveHealth receiveHealth = new ReceiveHealth();
    private final Object lock = new Object();
    private final Set<RuntimeDelivery> running = ConcurrentHashMap.newKeySet();
    /** Deliveries a worker may start (their key is free), in fetch order; {@link #STOP} ends a worker. */
    private final LinkedBlockingQueue<RuntimeDelivery> ready = new LinkedBlockingQueue<>();
    private final RuntimeDelivery STOP = new RuntimeDelivery(null, null);
    private final KeySequencer<RuntimeDelivery> keys = new KeySequencer<>();
    private final List<Thread> workers = new ArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean closing;
    private volatile boolean paused;
    private Receiver receiver;
    private Settler settler;
    private FetchLoop fetchLoop;
    private Thread fetcher;
    private Thread leaseThread;
    private Runnable stopCountingInFlight = () -> { };
    private final AdaptivePrefetch prefetch;
    /** Fetch thread only: deliveries accepted since the last room check, the room it gave, the window last told to the receiver. */
    private int acceptedSinceRoom;
    private int askedLast;
    private int windowTold;

    public SubscriptionRuntime(SubscriptionHost host, SubscriptionOptions options, Handler handler, Consumer<SubscriptionRuntime> onClosed) {
        this.host = host;
        this.options = options;
        this.handler = handler;
        this.onClosed = onClosed;
        this.telemetry = host.telemetry();
        this.where = "transport=" + host.transportName() + " group=" + options.group() + " member=" + options.member();
        this.prefetch = options.adaptivePrefetch()
                ? AdaptivePrefetch.adaptive(SubscriptionOptions.startPrefetch(options.concurrency()), options.prefetch(), options.concurrency(), options.ackDeadline())
                : AdaptivePrefetch.fixed(options.prefetch());
        this.windowTold = prefetch.window();
    }

    /** Opens the receiver (blocking on the broker; its typed errors propagate) and starts fetching. */
    public void start() {
        receiver = host.openReceiver(new ReceiverSpec(options.group(), options.member(), options.prefetch(), options.ackDeadline(), prefetch.window()));
        settler = new Settler(host, options, receiver, this::wake, where, prefetch::window);
        stopCountingInFlight = telemetry.inFlight(options.group(), settler::unsettledCount, prefetch::window);
        for (int i = 0; i < options.concurrency(); i++) {
            workers.add(Thread.ofVirtual().name("courier-handler-" + options.group() + "-" + i).start(this::workLoop));
        }
        fetchLoop = new FetchLoop(receiver, this::awaitRoom, options.pollWait(), this::accept, where, receiveHealth);
        fetcher = Thread.ofVirtual().name("courier-fetch-" + options.group()).start(fetchLoop);
        leaseThread = Thread.ofVirtual().name("courier-leases-" + options.group()).start(this::leaseLoop);
        log.info("subscribed {} concurrency={} prefetch={}{} maxAttempts={}", where, options.concurrency(),
                options.prefetch(), options.adaptivePrefetch() ? " (adaptive from " + prefetch.window() + ")" : "", options.retry().maxAttempts());
    }

    private void wake() {
        synchronized (lock) { lock.notifyAll(); }
    }

    // ---------------------------------------------------------------- fetching

    private int awaitRoom(Duration maxWait) throws InterruptedException {
        if (log.isTraceEnabled()) log.trace("room asked={} got={} unsettled={} window={}", askedLast, acceptedSinceRoom, settler.unsettledCount(), prefetch.window());
        prefetch.received(askedLast, acceptedSinceRoom, settler.unsettledCount());
        acceptedSinceRoom = 0;
        askedLast = 0;
        int window = prefetch.window();
        if (window != windowTold) {
            windowTold = window;
            log.debug("prefetch window {} {}", where, window);
            receiver.window(window);
        }
        synchronized (lock) {
            long deadline = System.nanoTime() + maxWait.toNanos();
            while (!closing && (paused || settler.unsettledCount() >= prefetch.window())) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) return 0;
                lock.wait(left);
            }
            askedLast = closing ? 0 : Math.max(0, prefetch.window() - settler.unsettledCount());
            return askedLast;
        }
    }

    private void accept(Received r) {
        acceptedSinceRoom++;
        RuntimeDelivery d = settler.track(r);
        telemetry.consumed(options.group(), r.message().destination(), 1);
        if (r.attempt() > 1) telemetry.redelivered(options.group(), r.attempt());
        DeadLetter past = SettlementPolicy.onArrival(r.attempt(), options.retry());
        if (past != null) {
            settler.deadLetter(d, past.reason()); // attempts never multiply (C15)
            return;
        }
        if (r.attempt() > 1) {
            log.info("redelivery transport={} destination={} messageId={} attempt={}", host.transportName(),
                    r.message().destination(), r.message().id(), r.attempt());
        }
        if (keys.admit(r.message().orderingKey(), d)) ready.add(d);
    }

    // ---------------------------------------------------------------- handling

    /** One of the {@code concurrency} workers: runs ready deliveries until {@link #STOP}, flushing acks between bursts. */
    private void workLoop() {
        while (true) {
            RuntimeDelivery d = ready.poll();
            if (d == null) {
                settler.flushAcks(); // nothing more to run now: hand over what this burst acked
                try { d = ready.take(); } catch (InterruptedException e) { continue; } // only STOP ends a worker
            }
            if (d == STOP) return;
            run(d);
            settler.flushAcksIfDue();
        }
    }

    private void run(RuntimeDelivery d) {
        running.add(d);
        try {
            if (closing || d.isSettled()) return; // close releases it
            d.startedNanos = System.nanoTime();
            d.thread = Thread.currentThread();
            d.handlerState.set(RuntimeDelivery.RUNNING);
            putMdc(d.message());
            try {
                Throwable failure = null;
                Tracing.Span span = host.tracing().startProcess(options.group(), d.message(), d.attempt());
                try {
                    handler.handle(d);
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    span.end(failure);
                }
                long took = System.nanoTime() - d.startedNanos;
                prefetch.handled(took);
                telemetry.processed(options.group(), d.message().destination(), took, failure);
                // still on the handler's thread: its ack is queued for the burst, not flushed at once
                if (!d.isSettled()) {
                    settler.apply(d, SettlementPolicy.afterHandler(d.attempt(), failure, options.retry(), ThreadLocalRandom.current()));
                }
            } finally {
                d.handlerFinished();
                if (Thread.currentThread().isInterrupted()) Thread.interrupted(); // not for the next delivery
            }
        } finally {
            MDC.clear();
            running.remove(d);
            RuntimeDelivery next = keys.finished(d.message().orderingKey());
            if (next != null) ready.add(next);
            if (closing) wake();
        }
    }

    // ---------------------------------------------------------------- leases (C16)

    /** This subscription's own lease thread: a slow broker call here never delays another subscription's leases. */
    private void leaseLoop() {
        long periodNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(20, options.ackDeadline().toMillis() / 3));
        while (!closing) {
            LockSupport.parkNanos(periodNanos);
            if (closing) return;
            settler.flushAcks(); // a worker stuck in a long handler does not flush
            LeaseUpkeep.Tick tick = LeaseUpkeep.tick(settler.unsettled(), System.nanoTime(), options.maxHandlingTime().toNanos());
            for (RuntimeDelivery d : tick.overdue()) {
                log.warn("handler exceeded maxHandlingTime={} transport={} destination={} messageId={} attempt={}; failing the delivery",
                        options.maxHandlingTime(), host.transportName(), d.message().destination(), d.message().id(), d.attempt());
                TimeoutException timeout = new TimeoutException("handler ran longer than maxHandlingTime " + options.maxHandlingTime());
                settler.apply(d, SettlementPolicy.afterHandler(d.attempt(), timeout, options.retry(), ThreadLocalRandom.current()));
                d.interruptHandler();
            }
            if (!closing) settler.extend(tick.extend());
        }
    }

    // ---------------------------------------------------------------- control

    @Override
    public void pause() { paused = true; }

    @Override
    public void resume() {
        paused = false;
        wake();
    }

    @Override
    public boolean awaitReady(Duration timeout) throws InterruptedException {
        return settler != null && !closing && receiver.awaitReady(timeout);
    }

    @Override
    public int inFlight() { return settler == null ? 0 : settler.unsettledCount(); }

    @Override
    public boolean isClosed() { return closed.get(); }

    /** The subscription's group. */
    public String group() { return options.group(); }

    /** How this subscription receives: running, recovering or failing, its last error, its last successful receive. */
    public SubscriptionHealth health() { return receiveHealth.snapshot(options.group(), options.member()); }

    @Override
    public void close() { close(options.closeGrace()); }

    @Override
    public void close(Duration grace) {
        if (!closed.compareAndSet(false, true)) return;
        closing = true;
        wake();
        if (settler == null) { // start() failed: nothing runs
            onClosed.accept(this);
            return;
        }
        fetchLoop.stop();
        fetcher.interrupt(); // a receive in progress would take messages released by closing peers
        Threads.join(fetcher, options.pollWait().toMillis() + 2_000);
        LockSupport.unpark(leaseThread);
        for (int i = 0; i < workers.size(); i++) ready.add(STOP); // after what is ready: workers skip it, closing
        awaitHandlers(grace);
        List<RuntimeDelivery> unfinished = settler.claimUnsettled();
        for (RuntimeDelivery d : unfinished) d.interruptHandler();
        Threads.joinAll(workers, 500); // interrupted handlers return; their workers then stop
        settler.flushAcks(); // what finished handlers acked, before the receiver closes (C13)
        settler.release(unfinished);
        Threads.join(leaseThread, 2_000);
        settler.closeReceiver();
        stopCountingInFlight.run();
        onClosed.accept(this);
        log.info("subscription closed {}", where);
    }

    /** Waits up to {@code grace} for running handlers, dead letters being sent and ack flushes. */
    private void awaitHandlers(Duration grace) {
        long deadline = System.nanoTime() + grace.toNanos();
        synchronized (lock) {
            while ((!running.isEmpty() || settler.busy()) && System.nanoTime() < deadline) {
                try { lock.wait(Math.max(1, Math.min(50, (deadline - System.nanoTime()) / 1_000_000))); }
                catch (InterruptedException e) { Thread.currentThread().interrupt(); return; }
            }
        }
    }

    private void putMdc(Message m) {
        MDC.put("courier.transport", host.transportName());
        MDC.put("courier.destination", m.destination().toString());
        MDC.put("courier.messageId", m.id());
    }
}
