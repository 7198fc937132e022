package io.courier.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * Coalesced acks: queued acks are handed to the sink in one call per burst. A flush is {@link #due()} once
 * {@code batchMax} acks are queued or the oldest has waited {@code maxDelayNanos}; the owner also flushes when its
 * worker runs out of work and before the receiver closes. Thread-safe; {@link #flush()} may run on any thread.
 *
 * @param <T> a queued ack (the runtime's delivery)
 */
final class AckBatcher<T> {
    private final IntSupplier batchMax;
    private final long maxDelayNanos;
    private final LongSupplier nanoClock;
    private final Consumer<List<T>> sink;
    private final ConcurrentLinkedQueue<T> queued = new ConcurrentLinkedQueue<>();
    private final AtomicInteger count = new AtomicInteger();
    private final AtomicInteger flushing = new AtomicInteger();
    private volatile long oldestNanos;

    AckBatcher(int batchMax, long maxDelayNanos, LongSupplier nanoClock, Consumer<List<T>> sink) {
        this(() -> batchMax, maxDelayNanos, nanoClock, sink);
    }

    /** {@code batchMax} is read at each {@link #due()}: it follows an adaptive prefetch window. */
    AckBatcher(IntSupplier batchMax, long maxDelayNanos, LongSupplier nanoClock, Consumer<List<T>> sink) {
        this.batchMax = batchMax;
        this.maxDelayNanos = maxDelayNanos;
        this.nanoClock = nanoClock;
        this.sink = sink;
    }

    void add(T ack) {
        if (count.getAndIncrement() == 0) oldestNanos = nanoClock.getAsLong();
        queued.add(ack);
    }

    /** Whether enough acks are queued, or the oldest waited long enough, to flush now. */
    boolean due() {
        int n = count.get();
        return n > 0 && (n >= batchMax.getAsInt() || nanoClock.getAsLong() - oldestNanos >= maxDelayNanos);
    }

    boolean isEmpty() { return queued.isEmpty(); }

    /** Whether a flush is handing acks to the sink right now (close waits for it). */
    boolean flushing() { return flushing.get() > 0; }

    /** Hands every queued ack to the sink in one call; nothing when none is queued. */
    void flush() {
        if (queued.isEmpty()) return;
        flushing.incrementAndGet();
        try {
            List<T> batch = new ArrayList<>();
            for (T a; (a = queued.poll()) != null; ) batch.add(a);
            if (batch.isEmpty()) return;
            count.addAndGet(-batch.size());
            sink.accept(batch);
        } finally {
            flushing.decrementAndGet();
        }
    }
}
