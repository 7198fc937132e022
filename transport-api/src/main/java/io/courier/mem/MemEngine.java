package io.courier.mem;

import io.courier.Message;
import io.courier.spi.Received;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The reference implementation of the delivery contract, in memory: the executable spec of C2–C11 and the engine
 * under the HTTP hub (which adds a journal) and {@code sim://} (which adds a virtual clock and faults).
 *
 * <p>Model: each group has an {@code any} queue and one queue per member (direct and sticky messages), ordered by
 * (available-at, send sequence). {@link #poll} leases up to {@code max} available messages to one consumer; a lease
 * has a token, so a settlement from a stale lease (expired, then leased to someone else) changes nothing. An entry
 * with an ordering key is only available while it is the oldest unacked entry of its key (C9). Sticky entries of a
 * member with no live consumer are available to every member of the group (C4). Time comes from an injectable
 * clock in milliseconds. All methods are thread-safe; none blocks except {@link #await}.
 */
public final class MemEngine {
    private static final Comparator<Entry> BY_AVAILABILITY =
            Comparator.<Entry>comparingLong(e -> e.availableAt).thenComparingLong(e -> e.seq);
    private static final Comparator<Entry> BY_LEASE_END =
            Comparator.<Entry>comparingLong(e -> e.leaseUntil).thenComparingLong(e -> e.seq);

    private final ReentrantLock lock = new ReentrantLock();
    private final LongSupplier clock;
    private final Map<String, Group> groups = new HashMap<>();
    private long seqs;
    private long tokens;

    /** An engine on the system clock. */
    public MemEngine() { this(System::currentTimeMillis); }

    /** An engine on the given clock (milliseconds). */
    public MemEngine(LongSupplier clockMillis) { this.clock = clockMillis; }

    /** One leased delivery: the message, its attempt number, and the lease it settles. */
    public record Delivered(Message message, int attempt, String group, long seq, long token, String owner) implements Received {}

    /** Depth (queued), in-flight (leased) and delayed (queued, not yet available) counts of a group. */
    public record GroupStats(String group, int depth, int inFlight, int delayed, int liveMembers) {}

    private static final class Entry {
        final long seq;
        final Message message;
        final String group;
        int deliveries;
        long availableAt;
        long token;
        boolean leased;
        String owner;
        long leaseUntil;
        TreeSet<Entry> home;

        Entry(long seq, Message message, int deliveries, long availableAt) {
            this.seq = seq;
            this.message = message;
            this.group = message == null ? null : message.destination().group();
            this.deliveries = deliveries;
            this.availableAt = availableAt;
        }
    }

    private final class Group {
        final TreeSet<Entry> any = new TreeSet<>(BY_AVAILABILITY);
        final Map<String, TreeSet<Entry>> members = new HashMap<>();
        final Map<Long, Entry> entries = new HashMap<>();
        final TreeSet<Entry> leases = new TreeSet<>(BY_LEASE_END);
        final Map<String, TreeSet<Long>> keys = new HashMap<>();
        final Map<String, Integer> live = new HashMap<>();
        final Condition changed = lock.newCondition();

        TreeSet<Entry> memberQueue(String member) { return members.computeIfAbsent(member, m -> new TreeSet<>(BY_AVAILABILITY)); }
    }

    /** The current time of this engine's clock. */
    public long now() { return clock.getAsLong(); }

    // ------------------------------------------------------------------ sending

    /** Accepts messages (first delivery will be attempt 1). */
    public void send(List<Message> batch) {
        lock.lock();
        try {
            for (Message m : batch) enqueue(m, 0);
        } finally {
            lock.unlock();
        }
    }

    /** Re-inserts a message recovered from a journal, with the deliveries it already had. */
    public void restore(Message m, int deliveries) {
        lock.lock();
        try {
            enqueue(m, deliveries);
        } finally {
            lock.unlock();
        }
    }

    private void enqueue(Message m, int deliveries) {
        long now = now();
        long at = m.notBefore() == null ? now : Math.max(now, m.notBefore().toEpochMilli());
        Entry e = new Entry(++seqs, m, deliveries, at);
        Group g = group(e.group);
        g.entries.put(e.seq, e);
        if (m.orderingKey() != null) g.keys.computeIfAbsent(m.orderingKey(), k -> new TreeSet<>()).add(e.seq);
        e.home = m.destination().member() == null ? g.any : g.memberQueue(m.destination().member());
        e.home.add(e);
        g.changed.signalAll();
    }

    private Group group(String name) { return groups.computeIfAbsent(name, n -> new Group()); }

    // ------------------------------------------------------------------ consumers

    /** Registers a live consumer of a member (or of the group, member null). */
    public void register(String group, String member, String owner) {
        lock.lock();
        try {
            if (member != null) group(group).live.merge(member, 1, Integer::sum);
        } finally {
            lock.unlock();
        }
    }

    /** Unregisters a consumer: every lease it holds is released for redelivery at once (C6, C13). */
    public void unregister(String group, String member, String owner) {
        lock.lock();
        try {
            Group g = group(group);
            if (member != null) g.live.computeIfPresent(member, (m, n) -> n <= 1 ? null : n - 1);
            List<Entry> mine = new ArrayList<>();
            for (Entry e : g.leases) if (owner.equals(e.owner)) mine.add(e);
            long now = now();
            for (Entry e : mine) requeue(g, e, now);
            g.changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Leases up to {@code max} available messages of the group (and of the member's own queue) to {@code owner} for
     * {@code leaseMillis}. Never blocks.
     */
    public List<Delivered> poll(String group, String member, String owner, int max, long leaseMillis) {
        lock.lock();
        try {
            Group g = group(group);
            long now = now();
            expireLeases(g, now);
            List<Entry> picked = new ArrayList<>();
            collect(g, g.any, now, max, picked, null);
            if (member != null && g.members.containsKey(member)) collect(g, g.members.get(member), now, max, picked, null);
            for (Map.Entry<String, TreeSet<Entry>> q : g.members.entrySet()) {
                if (q.getKey().equals(member) || g.live.containsKey(q.getKey())) continue;
                collect(g, q.getValue(), now, max, picked, Boolean.TRUE); // sticky of absent members only
            }
            picked.sort(BY_AVAILABILITY);
            List<Delivered> out = new ArrayList<>(Math.min(max, picked.size()));
            java.util.Set<String> keysTaken = new java.util.HashSet<>();
            for (Entry e : picked) {
                if (out.size() >= max) break;
                if (e.message.orderingKey() != null && !keysTaken.add(e.message.orderingKey())) continue;
                e.home.remove(e);
                e.deliveries++;
                e.token = ++tokens;
                e.leased = true;
                e.owner = owner;
                e.leaseUntil = now + leaseMillis;
                g.leases.add(e);
                out.add(new Delivered(e.message, e.deliveries, group, e.seq, e.token, owner));
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    private void collect(Group g, TreeSet<Entry> queue, long now, int max, List<Entry> into, Boolean stickyOnly) {
        int found = 0;
        for (Entry e : queue) {
            if (e.availableAt > now || found >= max) break;
            if (stickyOnly != null && !e.message.destination().isSticky()) continue;
            String key = e.message.orderingKey();
            if (key != null && g.keys.get(key).first() != e.seq) continue; // an older entry of this key is pending
            into.add(e);
            found++;
        }
    }

    private void expireLeases(Group g, long now) {
        while (!g.leases.isEmpty() && g.leases.first().leaseUntil <= now) {
            requeue(g, g.leases.first(), now);
        }
    }

    private void requeue(Group g, Entry e, long availableAt) {
        g.leases.remove(e);
        e.leased = false;
        e.owner = null;
        e.availableAt = availableAt;
        e.home.add(e);
        g.changed.signalAll();
    }

    // ------------------------------------------------------------------ settlement

    /**
     * Acks a delivery. Returns true when this ack removed the message: its lease was current, or it had expired and
     * the message had not been leased again. A stale ack (the message is leased to someone else now) changes nothing.
     */
    public boolean ack(Delivered d) {
        lock.lock();
        try {
            Group g = groups.get(d.group());
            Entry e = g == null ? null : g.entries.get(d.seq());
            if (e == null || e.token != d.token()) return false;
            if (e.leased) g.leases.remove(e); else e.home.remove(e);
            g.entries.remove(e.seq);
            String key = e.message.orderingKey();
            if (key != null) {
                TreeSet<Long> pending = g.keys.get(key);
                pending.remove(e.seq);
                if (pending.isEmpty()) g.keys.remove(key);
            }
            g.changed.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Releases a current lease: the message becomes available again after {@code delayMillis}. */
    public boolean nack(Delivered d, long delayMillis) {
        lock.lock();
        try {
            Group g = groups.get(d.group());
            Entry e = g == null ? null : g.entries.get(d.seq());
            if (e == null || !e.leased || e.token != d.token()) return false;
            requeue(g, e, now() + Math.max(0, delayMillis));
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Gives back a current lease that was never delivered (a push endpoint answered that it did not take it): the
     * message is available again at once and the lease's attempt does not count, so its next delivery has the same
     * attempt number (C15).
     */
    public boolean release(Delivered d) {
        lock.lock();
        try {
            Group g = groups.get(d.group());
            Entry e = g == null ? null : g.entries.get(d.seq());
            if (e == null || !e.leased || e.token != d.token()) return false;
            e.deliveries = Math.max(0, e.deliveries - 1);
            requeue(g, e, now());
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Extends a current lease to at least {@code millis} from now. */
    public boolean extend(Delivered d, long millis) {
        lock.lock();
        try {
            Group g = groups.get(d.group());
            Entry e = g == null ? null : g.entries.get(d.seq());
            if (e == null || !e.leased || e.token != d.token()) return false;
            g.leases.remove(e);
            e.leaseUntil = Math.max(e.leaseUntil, now() + millis);
            g.leases.add(e);
            return true;
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ waiting and inspection

    /**
     * The time at which something may become available to a poll of this group without any other call: the
     * earliest future availability or lease end; {@code Long.MAX_VALUE} when nothing is scheduled.
     */
    public long nextEventAt(String group) {
        lock.lock();
        try {
            Group g = group(group);
            long now = now();
            long next = Long.MAX_VALUE;
            if (!g.leases.isEmpty()) next = g.leases.first().leaseUntil;
            next = Math.min(next, firstAfter(g.any, now));
            for (TreeSet<Entry> q : g.members.values()) next = Math.min(next, firstAfter(q, now));
            return next;
        } finally {
            lock.unlock();
        }
    }

    private static long firstAfter(TreeSet<Entry> q, long now) {
        Entry probe = new Entry(Long.MAX_VALUE, null, 0, now);
        Entry e = q.higher(probe);
        return e == null ? Long.MAX_VALUE : e.availableAt;
    }

    /**
     * Waits, in real time, up to {@code maxWaitMillis} for a change in the group (send, nack, ack, release) or its
     * next scheduled event. Used by blocking receivers on the system clock; a virtual clock does not wait.
     */
    public void await(String group, long maxWaitMillis) throws InterruptedException {
        if (maxWaitMillis <= 0) return;
        lock.lock();
        try {
            group(group).changed.await(maxWaitMillis, TimeUnit.MILLISECONDS);
        } finally {
            lock.unlock();
        }
    }

    /** Counts per group, sorted by name. */
    public List<GroupStats> stats() {
        lock.lock();
        try {
            List<GroupStats> out = new ArrayList<>();
            for (Map.Entry<String, Group> ge : new TreeMap<>(groups).entrySet()) out.add(statsOf(ge.getKey(), ge.getValue()));
            return out;
        } finally {
            lock.unlock();
        }
    }

    /** Counts of one group (all 0 when the engine has never seen it); creates nothing. */
    public GroupStats stats(String group) {
        lock.lock();
        try {
            Group g = groups.get(group);
            return g == null ? new GroupStats(group, 0, 0, 0, 0) : statsOf(group, g);
        } finally {
            lock.unlock();
        }
    }

    private GroupStats statsOf(String name, Group g) {
        long now = now();
        int delayed = 0;
        for (Entry e : g.entries.values()) if (!e.leased && e.availableAt > now) delayed++;
        return new GroupStats(name, g.entries.size() - g.leases.size(), g.leases.size(), delayed, g.live.size());
    }

    /** Forgets a group and every message of it; true when the engine had it. Live consumers see an empty group. */
    public boolean deleteGroup(String group) {
        lock.lock();
        try {
            Group g = groups.remove(group);
            if (g != null) g.changed.signalAll();
            return g != null;
        } finally {
            lock.unlock();
        }
    }

    /** True when the member has at least one live consumer. */
    public boolean isLive(String group, String member) {
        lock.lock();
        try {
            return group(group).live.containsKey(member);
        } finally {
            lock.unlock();
        }
    }
}
