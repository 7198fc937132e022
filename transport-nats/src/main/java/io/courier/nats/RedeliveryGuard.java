package io.courier.nats;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Keeps the pull requests of one durable consumer from expiring at the moment a redelivery becomes due, shared by
 * every receiver of a transport on that consumer.
 *
 * <p>Why: nats-server before the fix of nats-io/nats-server#5305 (2.9.x included) takes a due redelivery off its
 * redelivery queue, finds that its waiting pull requests have all just expired (not yet swept by its expiry timer),
 * and then "redoes" it as if it were a first delivery: it drops the expired request without its 408, drops the
 * redelivery (it comes back only after AckWait, with one delivery count burnt), and steps its stream cursor back, so
 * that the last message it delivered for the first time comes again with {@code deliveredCount = 1} while its real
 * delivery is in progress. Both break C15 (a handler that runs n−1 or n+1 times). A redelivery that finds a live
 * request, or no request at all, is safe; so this guard keeps every server-timed redelivery this transport asks for
 * (a {@code -NAK}, with or without delay) and every expiry of its pull requests at least {@link #MARGIN_NANOS} apart:
 * a pull request outlives the redeliveries due around its expiry, and a nak whose redelivery would fall at an
 * outstanding request's expiry is delayed past it. Redeliveries the server times by itself (AckWait of a client that
 * died) and those asked for by other processes are not known here.
 */
final class RedeliveryGuard {
    /** Least distance between a pull request's expiry and a redelivery asked for on the same consumer. */
    static final long MARGIN_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** Most due times kept per consumer (a burst of long delays beyond that is not guarded, rather than held in memory). */
    private static final int MAX_DUES = 100_000;
    /** Longest a request's expiry is pushed back to stay clear of redeliveries. */
    private static final long MAX_EXTENSION_NANOS = TimeUnit.SECONDS.toNanos(5);

    /** Due times (nanoTime) of the redeliveries asked for, with their counts. */
    private final TreeMap<Long, Integer> dues = new TreeMap<>();
    /** Server-side expiries (nanoTime) of the outstanding pull requests, with their counts. */
    private final TreeMap<Long, Integer> expiries = new TreeMap<>();

    /**
     * The delay to put on a {@code -NAK} sent now with {@code delayNanos} (0: redeliver at once): the same, or longer
     * so that the redelivery is not due within the margin of an outstanding request's expiry. Records the due time.
     */
    synchronized long nakDelay(long now, long delayNanos) {
        forgetOld(now);
        long due = now + Math.max(0, delayNanos);
        for (int i = 0; i < 1_000; i++) {
            Long e = expiries.ceilingKey(due - MARGIN_NANOS);
            if (e == null || e > due + MARGIN_NANOS) break;
            due = e + MARGIN_NANOS + 1;
        }
        if (dues.size() < MAX_DUES) dues.merge(due, 1, Integer::sum);
        return due - now;
    }

    /**
     * The expiry (nanoTime) of a pull request issued now that should last {@code lifeNanos}: that, or later so that
     * no redelivery asked for is due within the margin of it. Records it until {@link #requestEnded}.
     */
    synchronized long requestExpiry(long now, long lifeNanos) {
        forgetOld(now);
        long expiry = now + lifeNanos;
        long latest = expiry + MAX_EXTENSION_NANOS;
        for (int i = 0; i < 1_000 && expiry < latest; i++) {
            Long d = dues.ceilingKey(expiry - MARGIN_NANOS);
            if (d == null || d > expiry + MARGIN_NANOS) break;
            expiry = Math.min(latest, d + MARGIN_NANOS + 1);
        }
        expiries.merge(expiry, 1, Integer::sum);
        return expiry;
    }

    /** The pull request that was to expire at {@code expiry} is over (end status, batch complete, or given up). */
    synchronized void requestEnded(long expiry) {
        expiries.computeIfPresent(expiry, (k, n) -> n > 1 ? n - 1 : null);
    }

    /** What lies more than the margin in the past no longer matters (and a request whose end status was lost is gone). */
    private void forgetOld(long now) {
        forgetBefore(dues, now - MARGIN_NANOS);
        forgetBefore(expiries, now - MARGIN_NANOS);
    }

    private static void forgetBefore(TreeMap<Long, Integer> m, long limit) {
        while (!m.isEmpty()) {
            Map.Entry<Long, Integer> first = m.firstEntry();
            if (first.getKey() - limit >= 0) return;
            m.pollFirstEntry();
        }
    }
}
