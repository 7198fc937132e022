package io.courier.runtime;

import java.util.List;
import java.util.concurrent.TimeUnit;

/** Joining threads with a bound, for close paths. */
final class Threads {
    private Threads() {}

    /** Joins {@code t} for up to {@code ms}; if it is still alive, interrupts it and waits up to 2 s more. */
    static void join(Thread t, long ms) {
        if (t == null || t == Thread.currentThread()) return;
        try {
            t.join(ms);
            if (t.isAlive()) { t.interrupt(); t.join(2_000); }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Joins each thread (but the calling one) within one overall bound of {@code ms}. */
    static void joinAll(List<Thread> threads, long ms) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        try {
            for (Thread w : threads) {
                if (w == Thread.currentThread()) continue; // close called from a handler
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) break;
                w.join(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
