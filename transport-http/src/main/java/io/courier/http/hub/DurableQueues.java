package io.courier.http.hub;

import io.courier.Message;
import io.courier.mem.MemEngine;
import io.courier.runtime.SubscriptionRuntime;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's queues: the {@link MemEngine} (leases, delays, attempts, member queues, sticky members, ordering keys)
 * made durable by the {@link Journal}. A message enters the engine only once its SEND record is forced; an ack that
 * removes it from the engine writes an ACK record; every lease writes the delivery count (ATTEMPTS), so attempt
 * numbers survive a restart (C15).
 *
 * <p>Sends are deduplicated by (group, message id) among unacked messages: a client that resends a batch whose
 * answer it lost (cut connection) does not create duplicates. Lease ids carry the hub's incarnation, so a lease
 * from before a restart can never settle a message of this run.
 */
final class DurableQueues implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DurableQueues.class);

    /** One accepted, unacked message and its journal sequence number. */
    private static final class Accepted {
        final Message message;
        final CompletableFuture<Void> durable = new CompletableFuture<>();
        volatile long seq;
        volatile int deliveries;

        Accepted(Message message) { this.message = message; }
    }

    /** A lease as handed to a client: the delivery plus the lease id that settles it. */
    record Lease(String id, Message message, int attempt) {}

    private final MemEngine engine = new MemEngine();
    private final Journal journal;
    private final Sessions sessions;
    private final String incarnation = UUID.randomUUID().toString().substring(0, 8);
    private final ConcurrentHashMap<String, Accepted> live = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, Accepted> leased = new ConcurrentHashMap<>();

    DurableQueues(Path dataDir, long segmentBytes, long sessionTimeoutMillis) throws IOException {
        this.journal = Journal.open(dataDir, segmentBytes);
        this.sessions = new Sessions(engine, sessionTimeoutMillis);
        for (JournalRecord r : journal.recovered()) {
            Accepted a = new Accepted(r.message());
            a.seq = r.seq();
            a.deliveries = r.deliveries();
            a.durable.complete(null);
            live.put(key(r.message()), a);
            engine.restore(r.message(), r.deliveries());
        }
    }

    Sessions sessions() { return sessions; }

    MemEngine engine() { return engine; }

    Journal.Stats journalStats() { return journal.stats(); }

    private static String key(Message m) { return m.destination().group() + "\u0000" + m.id(); }

    // ------------------------------------------------------------------ send

    /**
     * Accepts a batch: completes once every message is journaled and forced (a message already unacked in the hub
     * under the same group and id is not stored twice), exceptionally if the journal fails.
     */
    CompletableFuture<Void> send(List<Message> batch) {
        List<JournalRecord> records = new ArrayList<>(batch.size());
        List<Accepted> fresh = new ArrayList<>(batch.size());
        List<CompletableFuture<Void>> waits = new ArrayList<>();
        for (Message m : batch) {
            Accepted a = new Accepted(m);
            Accepted existing = live.putIfAbsent(key(m), a);
            if (existing != null) {
                log.debug("hub: message {} to {} is already held unacked; not stored twice", m.id(), m.destination());
                waits.add(existing.durable);
                continue;
            }
            a.seq = journal.nextSeq();
            records.add(JournalRecord.send(a.seq, m, 0));
            fresh.add(a);
        }
        if (!records.isEmpty()) {
            CompletableFuture<Void> written = journal.append(records);
            written.whenComplete((v, e) -> {
                if (e != null) {
                    for (Accepted a : fresh) {
                        live.remove(key(a.message), a);
                        a.durable.completeExceptionally(e);
                    }
                    return;
                }
                List<Message> ms = new ArrayList<>(fresh.size());
                for (Accepted a : fresh) ms.add(a.message);
                engine.send(ms);
                for (Accepted a : fresh) a.durable.complete(null);
            });
            for (Accepted a : fresh) waits.add(a.durable);
        }
        return CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new));
    }

    // ------------------------------------------------------------------ receive

    /**
     * Leases up to {@code max} messages of the session's group (and member) for {@code leaseMillis}, waiting up to
     * {@code waitMillis} for the first one. Returns early (empty) when the session ends meanwhile.
     */
    List<Lease> receive(Sessions.Session s, int max, long waitMillis, long leaseMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + waitMillis;
        s.polling.incrementAndGet();
        try {
            while (!s.closed) {
                List<MemEngine.Delivered> got = engine.poll(s.group, s.member, s.id, max, leaseMillis);
                if (!got.isEmpty()) {
                    if (s.closed) { // ended while polling: give them back at once
                        for (MemEngine.Delivered d : got) engine.nack(d, 0);
                        return List.of();
                    }
                    return leases(got);
                }
                long now = System.currentTimeMillis();
                if (now >= deadline) break;
                long next = engine.nextEventAt(s.group);
                long until = Math.min(deadline, next == Long.MAX_VALUE ? deadline : Math.max(next, now + 1));
                engine.await(s.group, Math.min(until - now, 1_000));
            }
            return List.of();
        } finally {
            s.touch();
            s.polling.decrementAndGet();
        }
    }

    private List<Lease> leases(List<MemEngine.Delivered> got) {
        List<Lease> out = new ArrayList<>(got.size());
        List<JournalRecord> attempts = new ArrayList<>(got.size());
        for (MemEngine.Delivered d : got) {
            Accepted a = leased.computeIfAbsent(d.seq(), k -> live.get(key(d.message())));
            if (a != null) {
                a.deliveries = d.attempt();
                attempts.add(JournalRecord.attempts(a.seq, d.attempt()));
            }
            out.add(new Lease(incarnation + ":" + d.seq() + ":" + d.token() + ":" + d.group(), d.message(), d.attempt()));
        }
        journal.append(attempts); // not awaited: a lost count only makes a later attempt number lower after a crash
        return out;
    }

    // ------------------------------------------------------------------ settle

    /** A parsed lease id; null when it is from another incarnation of the hub (stale after a restart). */
    MemEngine.Delivered parseLease(String lease) {
        String[] p = lease.split(":", 4);
        if (p.length != 4) throw new IllegalArgumentException("malformed lease id '" + lease + "': give the lease of a delivery unchanged");
        long seq, token;
        try {
            seq = Long.parseLong(p[1]);
            token = Long.parseLong(p[2]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("malformed lease id '" + lease + "': give the lease of a delivery unchanged");
        }
        if (!p[0].equals(incarnation)) return null;
        return new MemEngine.Delivered(null, 0, p[3], seq, token, null);
    }

    /** Acks: completes when the ACK records are written. Stale leases change nothing. */
    CompletableFuture<Integer> ack(List<MemEngine.Delivered> leases) {
        List<JournalRecord> acks = new ArrayList<>();
        for (MemEngine.Delivered d : leases) {
            if (d == null || !engine.ack(d)) continue;
            Accepted a = leased.remove(d.seq());
            if (a == null) continue;
            live.remove(key(a.message), a);
            acks.add(JournalRecord.ack(a.seq));
        }
        if (acks.isEmpty()) return CompletableFuture.completedFuture(0);
        return journal.append(acks).thenApply(v -> acks.size());
    }

    /** Releases current leases for redelivery after {@code delayMillis}. */
    int nack(MemEngine.Delivered d, long delayMillis) { return d != null && engine.nack(d, delayMillis) ? 1 : 0; }

    /** Extends current leases. */
    int extend(MemEngine.Delivered d, long millis) { return d != null && engine.extend(d, millis) ? 1 : 0; }

    /**
     * Dead-letters a current lease: the message goes to {@code any@group.dlq} with the reason and attempt count
     * headers (C7), and is then acked. Completes with false for a stale lease.
     */
    CompletableFuture<Boolean> deadLetter(MemEngine.Delivered d, String reason) {
        Accepted a = d == null ? null : leased.get(d.seq());
        if (a == null || !engine.extend(d, 60_000)) return CompletableFuture.completedFuture(false);
        Message dead = SubscriptionRuntime.deadLetterOf(a.message, a.message.destination().deadLetterGroup(), reason, a.deliveries);
        return send(List.of(dead)).thenCompose(v -> ack(List.of(d))).thenApply(n -> n > 0);
    }

    /** Per group: depth, in flight, delayed, live members and the depth of its dead-letter group. */
    List<MemEngine.GroupStats> stats() { return engine.stats(); }

    @Override
    public void close() { journal.close(); }
}
