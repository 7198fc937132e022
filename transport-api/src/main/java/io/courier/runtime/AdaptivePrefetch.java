package io.courier.runtime;

import java.time.Duration;

/**
 * The prefetch window of a subscription whose user did not set {@code prefetch}: how many deliveries it may hold
 * unsettled right now. It starts at {@code start}, doubles (up to {@code cap}) each time the window limited a receive
 * (it got all it asked for, or the window is full: a backlog) after a window's worth of deliveries was handled since the last change (the handlers keep up), and is
 * bounded by the handlers' speed: a buffered delivery must not wait longer than half the ack deadline, so the window
 * is at most {@code concurrency × (ackDeadline / 2) / mean handler time}. When the handlers slow down the window
 * shrinks to that bound (never below {@code concurrency}); it grows again only once the bound is twice the window
 * (no flapping). A fixed window ({@link #fixed}) never changes: an explicit {@code prefetch(n)} is exactly that (C11).
 * Thread-safe: workers report handler times, the fetch thread reports receives.
 */
final class AdaptivePrefetch {
    /** Weight of the newest handler time in the running mean. */
    private static final double ALPHA = 1.0 / 16;

    private final int floor;
    private final int cap;
    private final boolean adaptive;
    private final double budgetNanos;
    private volatile int window;
    private double meanHandlerNanos = Double.NaN;
    private long handledSinceChange;

    private AdaptivePrefetch(int start, int floor, int cap, int concurrency, Duration ackDeadline, boolean adaptive) {
        this.window = start;
        this.floor = floor;
        this.cap = cap;
        this.adaptive = adaptive;
        this.budgetNanos = concurrency * (ackDeadline.toNanos() / 2.0);
    }

    /** A window that never changes. */
    static AdaptivePrefetch fixed(int prefetch) {
        return new AdaptivePrefetch(prefetch, prefetch, prefetch, 1, Duration.ofSeconds(1), false);
    }

    /** A window from {@code start} up to {@code cap}, never below {@code concurrency}, kept within half the ack deadline. */
    static AdaptivePrefetch adaptive(int start, int cap, int concurrency, Duration ackDeadline) {
        if (start < concurrency || cap < start) throw new IllegalArgumentException("need concurrency (" + concurrency + ") ≤ start (" + start + ") ≤ cap (" + cap + ")");
        return new AdaptivePrefetch(start, concurrency, cap, concurrency, ackDeadline, true);
    }

    /** The most deliveries to hold unsettled now. */
    int window() { return window; }

    /** A handler finished after {@code nanos}: updates the mean and shrinks the window if the handlers slowed down. */
    synchronized void handled(long nanos) {
        if (!adaptive) return;
        meanHandlerNanos = Double.isNaN(meanHandlerNanos) ? nanos : meanHandlerNanos + ALPHA * (nanos - meanHandlerNanos);
        handledSinceChange++;
        int bound = bound();
        if (bound < window) change(Math.max(floor, bound));
    }

    /**
     * A receive asked for {@code asked} and got {@code got}, leaving {@code unsettled} held: grows when a backlog limits
     * the fetch by the window (the receive got all it asked for, or the window is full).
     */
    synchronized void received(int asked, int got, int unsettled) {
        if (!adaptive || window >= cap || got == 0 || (got < asked && unsettled < window) || handledSinceChange < window) return;
        int next = Math.min(cap, window * 2);
        if (next <= bound()) change(next);
    }

    /** The handler-speed bound; the cap while no handler time is known. */
    private int bound() {
        if (Double.isNaN(meanHandlerNanos)) return cap;
        return (int) Math.min(cap, budgetNanos / Math.max(1, meanHandlerNanos));
    }

    private void change(int next) {
        window = next;
        handledSinceChange = 0;
    }
}
