package io.courier.runtime;

import io.courier.Message;
import io.courier.spi.Received;
import io.courier.spi.Receiver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A fake {@link Receiver} (public for the facade's tests): hands out what a test scripted and records every settlement. No broker. */
public class ScriptedReceiver implements Receiver {
    public record Delivered(Message message, int attempt) implements Received {}

    public final LinkedBlockingQueue<Received> script = new LinkedBlockingQueue<>();
    public final List<Received> acked = new CopyOnWriteArrayList<>();
    public final List<Received> nacked = new CopyOnWriteArrayList<>();
    public final List<Received> released = new CopyOnWriteArrayList<>();
    public final List<Integer> ackCalls = new CopyOnWriteArrayList<>();
    public final List<Received> extended = new CopyOnWriteArrayList<>();
    public final CountDownLatch extendedOnce = new CountDownLatch(1);
    /** Every window the runtime told ({@link Receiver#window}), and the largest {@code max} it asked receive for. */
    public final List<Integer> windows = new CopyOnWriteArrayList<>();
    public volatile int largestAsk;
    public final CountDownLatch nackEntered = new CountDownLatch(1);
    /** While set, nack blocks until it opens (a slow broker call). */
    public volatile CountDownLatch nackGate;
    public volatile boolean closed;
    /** Until it opens, the receiver is not ready (like a Kafka consumer before its partitions are assigned). */
    public volatile CountDownLatch readyGate = new CountDownLatch(0);

    public Received offer(Message m, int attempt) {
        Received r = new Delivered(m, attempt);
        script.add(r);
        return r;
    }

    @Override
    public List<? extends Received> receive(int max, Duration wait) throws InterruptedException {
        largestAsk = Math.max(largestAsk, max);
        List<Received> out = new ArrayList<>();
        Received first = script.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        if (first == null) return out;
        out.add(first);
        script.drainTo(out, max - 1);
        return out;
    }

    @Override public void ack(List<? extends Received> deliveries) { ackCalls.add(deliveries.size()); acked.addAll(deliveries); }

    @Override
    public void nack(List<? extends Received> deliveries, Duration delay) {
        nackEntered.countDown();
        CountDownLatch gate = nackGate;
        if (gate != null) {
            try { gate.await(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
        }
        nacked.addAll(deliveries);
    }

    @Override public void release(List<? extends Received> deliveries) { released.addAll(deliveries); }

    @Override
    public void extendLease(List<? extends Received> deliveries, Duration extension) {
        extended.addAll(deliveries);
        extendedOnce.countDown();
    }

    @Override public boolean awaitReady(Duration timeout) throws InterruptedException {
        return readyGate.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override public void window(int window) { windows.add(window); }

    @Override public void close() { closed = true; }
}
