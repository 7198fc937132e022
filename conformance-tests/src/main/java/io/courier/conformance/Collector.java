package io.courier.conformance;

import io.courier.Delivery;
import io.courier.Handler;
import io.courier.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/** Records what handlers received: per message id how often, by which member, at which attempt and when. */
public final class Collector {
    /** One handled delivery. */
    public record Seen(String id, String member, int attempt, long atMillis, Message message) {}

    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();
    private final Object changed = new Object();

    /** A handler recording as {@code member}. */
    public Handler as(String member) { return d -> record(d, member); }

    /** Records a delivery; returns the number of times this id was seen, this one included. */
    public int record(Delivery d, String member) {
        seen.add(new Seen(d.message().id(), member, d.attempt(), System.currentTimeMillis(), d.message()));
        int n = counts.computeIfAbsent(d.message().id(), k -> new AtomicInteger()).incrementAndGet();
        synchronized (changed) { changed.notifyAll(); }
        return n;
    }

    public int distinct() { return counts.size(); }

    public int total() { return seen.size(); }

    /** Deliveries beyond the first of each id. */
    public int duplicates() { return total() - distinct(); }

    public int count(String id) {
        AtomicInteger n = counts.get(id);
        return n == null ? 0 : n.get();
    }

    public List<Seen> seen() { return new ArrayList<>(seen); }

    public Set<String> ids() { return new HashSet<>(counts.keySet()); }

    /** Waits until every id was seen at least once; returns the ids still missing. */
    public Set<String> awaitAll(Collection<String> ids, Duration timeout) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        Set<String> missing = new HashSet<>(ids);
        synchronized (changed) {
            while (true) {
                missing.removeIf(counts::containsKey);
                long left = deadline - System.currentTimeMillis();
                if (missing.isEmpty() || left <= 0) return missing;
                changed.wait(Math.min(left, 100));
            }
        }
    }

    /** Waits until at least {@code n} deliveries (duplicates included) were recorded. */
    public boolean awaitTotal(int n, Duration timeout) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        synchronized (changed) {
            while (total() < n) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) return false;
                changed.wait(Math.min(left, 100));
            }
        }
        return true;
    }
}
