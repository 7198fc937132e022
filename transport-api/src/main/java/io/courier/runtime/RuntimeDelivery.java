package io.courier.runtime;

import io.courier.Delivery;
import io.courier.Message;
import io.courier.spi.Received;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A delivery as the handler sees it. It settles once: the first of ack, nack, dead-letter, a failure decided by the
 * runtime or a release at close wins, and every later settlement returns false and changes nothing.
 */
final class RuntimeDelivery implements Delivery {
    static final int IDLE = 0, RUNNING = 1, INTERRUPTING = 2, FINISHED = 3;

    final Received received;
    private final Settler runtime;
    private final AtomicBoolean settled = new AtomicBoolean();
    /** The worker running its handler, while {@link #handlerState} is RUNNING or INTERRUPTING. */
    volatile Thread thread;
    /** IDLE, RUNNING (handler on {@link #thread}), INTERRUPTING (an interrupt being delivered), FINISHED. */
    final AtomicInteger handlerState = new AtomicInteger(IDLE);
    /** When its handler started (System.nanoTime), 0 before. */
    volatile long startedNanos;

    RuntimeDelivery(Received received, Settler runtime) {
        this.received = received;
        this.runtime = runtime;
    }

    /** Claims the one settlement of this delivery: true for the first caller only. */
    boolean claim() { return settled.compareAndSet(false, true); }

    boolean isSettled() { return settled.get(); }

    /** Interrupts its handler if the handler is still running it (and not a later delivery on the same worker). */
    void interruptHandler() {
        if (!handlerState.compareAndSet(RUNNING, INTERRUPTING)) return;
        try {
            thread.interrupt();
        } finally {
            handlerState.set(RUNNING);
        }
    }

    /** Marks the handler finished; from here no interrupt aimed at it can reach its worker. */
    void handlerFinished() {
        while (!handlerState.compareAndSet(RUNNING, FINISHED)) Thread.onSpinWait();
        thread = null;
    }

    @Override public Message message() { return received.message(); }

    @Override public int attempt() { return received.attempt(); }

    @Override public boolean ack() { return runtime.ack(this); }

    @Override public boolean nack(Duration delay) { return runtime.nack(this, delay, null); }

    @Override public boolean deadLetter(String reason) { return runtime.deadLetter(this, reason); }
}
