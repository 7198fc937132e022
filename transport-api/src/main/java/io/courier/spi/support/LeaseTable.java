package io.courier.spi.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The leases of one receiver's deliveries, for a broker that does not keep them itself (C6, C16): which deliveries are
 * held unsettled, until when, and which one thread gets to settle each of them.
 *
 * <p>Guarantees:
 * <ul>
 *   <li><b>settle once</b>: of all the calls that end a lease ({@link #settle}, a {@link #sweep} that finds it
 *       expired, {@link #releaseAll}), exactly one succeeds for a registered delivery, whatever the threads; every
 *       other returns {@code false} (or leaves it out), so a late or duplicate settlement is ignored;</li>
 *   <li><b>expiry</b>: a delivery whose deadline has passed is never settled by {@link #settle} but is handed to the
 *       next {@link #sweep}, once; a delivery whose deadline has not passed is never swept;</li>
 *   <li><b>extension</b>: {@link #extend} never shortens a lease, and does nothing for a delivery that is settled or
 *       expired;</li>
 *   <li><b>no blocking</b>: no method waits for a lock held during a callback; {@link #sweep} runs its callback on the
 *       calling thread after the delivery was removed, so the caller decides where a broker call runs (see
 *       {@link LeaseKeeper}).</li>
 * </ul>
 * Deliveries are told apart by identity ({@code equals} and {@code hashCode} of {@code T}; adapters' delivery classes
 * keep {@link Object}'s). Time comes from a {@code nanoTime}-like clock given at construction, so tests can drive it.
 *
 * @param <T> the adapter's delivery type
 */
public final class LeaseTable<T> {
    private static final class Lease {
        volatile long deadline;

        Lease(long deadline) { this.deadline = deadline; }
    }

    private final Map<T, Lease> leases = new ConcurrentHashMap<>();
    private final LongSupplier clock;

    /** A table on {@link System#nanoTime()}. */
    public LeaseTable() { this(System::nanoTime); }

    /** A table on this clock: nanoseconds, monotonic, compared by difference like {@link System#nanoTime()}. */
    public LeaseTable(LongSupplier nanoClock) { this.clock = Objects.requireNonNull(nanoClock, "nanoClock"); }

    /** Now on this table's clock. */
    public long now() { return clock.getAsLong(); }

    /**
     * Starts a lease of {@code lease} from now. Returns false (and changes nothing) when the delivery is leased
     * already.
     */
    public boolean register(T delivery, Duration lease) {
        return leases.putIfAbsent(Objects.requireNonNull(delivery, "delivery"), new Lease(deadline(lease))) == null;
    }

    /**
     * Restarts a running lease: it now ends {@code lease} from now, earlier or later than before (a delivery handed
     * out again). False when the delivery is not leased, or its lease has expired (the sweep has it).
     */
    public boolean restart(T delivery, Duration lease) {
        Lease l = leases.get(delivery);
        if (l == null) return false;
        long now = now();
        synchronized (l) {
            if (now - l.deadline >= 0 || leases.get(delivery) != l) return false;
            l.deadline = now + lease.toNanos();
        }
        return true;
    }

    /**
     * Extends a running lease so that it lasts at least {@code extension} from now; never shortens it. False when
     * the delivery is not leased or its lease has expired.
     */
    public boolean extend(T delivery, Duration extension) {
        Lease l = leases.get(delivery);
        if (l == null) return false;
        long now = now();
        long until = now + extension.toNanos();
        synchronized (l) {
            if (now - l.deadline >= 0 || leases.get(delivery) != l) return false;
            if (until - l.deadline > 0) l.deadline = until;
        }
        return true;
    }

    /**
     * Ends a running lease: true for the one caller that does it, false when the delivery is not leased (settled
     * before, released, never registered) or its lease has expired (it belongs to the next {@link #sweep}).
     */
    public boolean settle(T delivery) {
        Lease l = leases.get(delivery);
        if (l == null) return false;
        synchronized (l) {
            if (now() - l.deadline >= 0) return false;
            return leases.remove(delivery, l);
        }
    }

    /**
     * Ends a lease whether or not it has expired (the delivery is dropped or given back by the adapter itself): true
     * for the one caller that does it.
     */
    public boolean forget(T delivery) {
        Lease l = leases.get(delivery);
        return l != null && leases.remove(delivery, l);
    }

    /** True while the delivery is leased and its lease has not expired. */
    public boolean isRunning(T delivery) {
        Lease l = leases.get(delivery);
        return l != null && now() - l.deadline < 0;
    }

    /** True while the delivery is in the table (running, or expired and not swept yet). */
    public boolean contains(T delivery) { return leases.containsKey(delivery); }

    /** How many deliveries are in the table. */
    public int size() { return leases.size(); }

    /** True when no delivery is in the table. */
    public boolean isEmpty() { return leases.isEmpty(); }

    /** A snapshot of the deliveries in the table, in no particular order. */
    public List<T> snapshot() { return new ArrayList<>(leases.keySet()); }

    /**
     * Removes every delivery whose lease has expired and passes each, once, to {@code onExpired} on this thread, after
     * it was removed (a settlement racing with it returns false). Returns how many expired. A callback that throws
     * stops this sweep; the deliveries not reached yet stay for the next one.
     */
    public int sweep(Consumer<? super T> onExpired) {
        if (leases.isEmpty()) return 0;
        long now = now();
        int n = 0;
        for (Map.Entry<T, Lease> e : leases.entrySet()) {
            Lease l = e.getValue();
            boolean expired;
            synchronized (l) {
                expired = now - l.deadline >= 0 && leases.remove(e.getKey(), l);
            }
            if (expired) {
                n++;
                onExpired.accept(e.getKey());
            }
        }
        return n;
    }

    /**
     * Ends every lease, expired or not (close, a lost channel): returns the deliveries it ended, each of which no
     * other call can settle any more.
     */
    public List<T> releaseAll() {
        List<T> out = new ArrayList<>();
        for (T d : snapshot()) if (forget(d)) out.add(d);
        return out;
    }

    private long deadline(Duration lease) { return now() + lease.toNanos(); }
}
