package io.courier.http.hub;

import io.courier.Message;
import io.courier.mem.MemEngine;
import io.courier.runtime.SettlementPolicy;
import io.courier.runtime.Telemetry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
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

    /** One accepted, unacked message (without its payload, which stays in the journal) and its journal sequence number. */
    private static final class Accepted {
        final Message message;
        final long heapBytes;
        final CompletableFuture<Void> durable = new CompletableFuture<>();
        volatile long seq;
        volatile int deliveries;

        Accepted(Message message) {
            this.message = message;
            this.heapBytes = heapBytes(message);
        }
    }

    /**
     * The heap an unacked message takes, estimated: its strings (two bytes a char, as Latin-1 strings take less this
     * errs high; the id twice, as this table's key holds it too) and a fixed {@value #PER_MESSAGE_BYTES} bytes for the
     * objects that hold it — the message, its header map, the engine's entry, the journal's index entry. Not its
     * payload: that stays in the journal and is read back when the message is delivered.
     */
    static long heapBytes(Message m) {
        long chars = m.id().length() * 4L + m.destination().toString().length() * 2L;
        for (var h : m.headers().entrySet()) chars += (h.getKey().length() + h.getValue().length()) * 2L + 64;
        if (m.orderingKey() != null) chars += m.orderingKey().length() * 2L;
        return chars + PER_MESSAGE_BYTES;
    }

    static final long PER_MESSAGE_BYTES = 1_000;
    /** The estimated heap of the messages in {@link #live}. */
    private final java.util.concurrent.atomic.AtomicLong heldBytes = new java.util.concurrent.atomic.AtomicLong();
    private volatile long maxHeldBytes = Long.MAX_VALUE;
    private volatile String limitSource = "";

    /**
     * Sends that would take the unacked messages past {@code bytes} of heap are refused with {@link HubFullException};
     * {@code source} says where the limit comes from, for the refusal's message.
     */
    void limitHeldBytes(long bytes, String source) {
        this.maxHeldBytes = bytes;
        this.limitSource = source;
    }

    /** The estimated heap of the unacked messages. */
    long heldBytes() { return heldBytes.get(); }

    private void hold(Accepted a) { heldBytes.addAndGet(a.heapBytes); }

    private void forget(Accepted a) { if (live.remove(key(a.message), a)) heldBytes.addAndGet(-a.heapBytes); }

    /** A lease as handed to a client: the delivery plus the lease id that settles it. */
    record Lease(String id, Message message, int attempt) {}

    private final MemEngine engine = new MemEngine();
    private final Journal journal;
    private final Sessions sessions;
    private final String incarnation = UUID.randomUUID().toString().substring(0, 8);
    private final ConcurrentHashMap<String, Accepted> live = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, Accepted> leased = new ConcurrentHashMap<>();
    /** The hub thread: it alone touches {@link #waiting}, so that waiting polls need no locks and no threads. */
    private final ScheduledThreadPoolExecutor hub = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().daemon().name("courier-hub-polls").factory());
    private final Map<String, Waiting> waiting = new HashMap<>();
    private final Set<String> wakePending = ConcurrentHashMap.newKeySet();
    private final Executor answers;
    private final List<JournalRecord> recoveredPush = new ArrayList<>();
    private volatile boolean closed;
    /** Told of every settlement that changed a lease (push subscriptions free the slot of a 202 by it). */
    interface SettleListener { void settled(long seq); void extended(long seq, long millis); }
    private volatile SettleListener settleListener;

    void settleListener(SettleListener l) { this.settleListener = l; }

    /** Where the hub records what it accepts, delivers and dead-letters; {@link Telemetry#NONE} unless metrics are on. */
    private volatile Telemetry telemetry = Telemetry.NONE;

    void telemetry(Telemetry t) { this.telemetry = t; }

    private void settled(MemEngine.Delivered d) {
        SettleListener l = settleListener;
        if (l != null) l.settled(d.seq());
    }

    /** {@code answers} runs the completion of waiting polls (it writes their HTTP answers). */
    DurableQueues(Path dataDir, long segmentBytes, long sessionTimeoutMillis, Executor answers) throws IOException {
        this(dataDir, segmentBytes, sessionTimeoutMillis, answers, Journal.Fsync.FORCE);
    }

    /** Like the other constructor, every fsync of the journal going through {@code fsync} (tests observe it). */
    DurableQueues(Path dataDir, long segmentBytes, long sessionTimeoutMillis, Executor answers, Journal.Fsync fsync) throws IOException {
        this(dataDir, Journal.Config.of(segmentBytes).withFsync(fsync), sessionTimeoutMillis, answers);
    }

    /** The queues on a journal in {@code dataDir} opened with {@code journalConfig}. */
    DurableQueues(Path dataDir, Journal.Config journalConfig, long sessionTimeoutMillis, Executor answers) throws IOException {
        this.answers = answers;
        hub.setRemoveOnCancelPolicy(true);
        this.journal = Journal.open(dataDir, journalConfig);
        this.sessions = new Sessions(engine, sessionTimeoutMillis, this::wake);
        for (JournalRecord r : journal.recovered()) {
            if (r.type() == JournalRecord.Type.PUSH) { recoveredPush.add(r); continue; }
            Accepted a = new Accepted(r.message());
            a.seq = r.seq();
            a.deliveries = r.deliveries();
            a.durable.complete(null);
            Accepted before = live.put(key(r.message()), a);
            if (before != null) heldBytes.addAndGet(-before.heapBytes);
            hold(a);
            engine.restore(r.message(), r.deliveries());
        }
        journal.forgetRecovered();
    }

    Sessions sessions() { return sessions; }

    /** False once closed: the journal no longer accepts messages. */
    boolean isOpen() { return !closed; }

    /** The push subscriptions found in the journal at start (PUSH records). */
    List<JournalRecord> recoveredPush() { return recoveredPush; }

    /** Journals a push subscription (forced): completes with its journal sequence number. */
    CompletableFuture<Long> journalPush(Message definition) {
        long seq = journal.nextSeq();
        return journal.append(List.of(JournalRecord.push(seq, definition))).thenApply(v -> seq);
    }

    /** Journals the removal of a push subscription (an ACK of its sequence number), forced like a send. */
    CompletableFuture<Void> journalUnpush(long seq) { return journal.appendForced(List.of(JournalRecord.ack(seq))); }

    MemEngine engine() { return engine; }

    Journal.Stats journalStats() { return journal.stats(); }

    /** The journal's state (ok, disk full, failed fsync, salvaged) for {@code /v1/health}. */
    Journal.Health journalHealth() { return journal.health(); }

    private static String key(Message m) { return m.destination().group() + "\u0000" + m.id(); }

    // ------------------------------------------------------------------ send

    /**
     * Accepts a batch: completes once every message is journaled and forced (a message already unacked in the hub
     * under the same group and id is not stored twice), exceptionally if the journal fails.
     */
    CompletableFuture<Void> send(List<Message> batch) { return send(batch, true); }

    /** {@code admit}: refuse the batch past the heap or journal limit; a dead letter that replaces its original is not refused. */
    private CompletableFuture<Void> send(List<Message> batch, boolean admit) {
        long started = System.nanoTime();
        List<JournalRecord> records = new ArrayList<>(batch.size());
        List<Accepted> fresh = new ArrayList<>(batch.size());
        List<Message> freshMessages = new ArrayList<>(batch.size());
        List<CompletableFuture<Void>> waits = new ArrayList<>();
        long incoming = 0;
        for (Message m : batch) incoming += heapBytes(m);
        long held = heldBytes.get();
        if (admit && held + incoming > maxHeldBytes) return CompletableFuture.failedFuture(full(held, incoming, batch));
        for (Message m : batch) {
            Accepted a = new Accepted(JournalRecord.withoutPayload(m));
            Accepted existing = live.putIfAbsent(key(m), a);
            if (existing != null) {
                log.debug("hub: message {} to {} is already held unacked; not stored twice", m.id(), m.destination());
                waits.add(existing.durable);
                continue;
            }
            hold(a);
            a.seq = journal.nextSeq();
            records.add(JournalRecord.send(a.seq, m, 0)); // the whole message goes to disk, only a.message stays here
            fresh.add(a);
            freshMessages.add(m);
        }
        if (!records.isEmpty()) {
            CompletableFuture<Void> written = admit ? journal.append(records) : journal.appendBeyondLimit(records);
            written.whenComplete((v, e) -> {
                recordSent(freshMessages, System.nanoTime() - started, e);
                if (e != null) {
                    for (Accepted a : fresh) {
                        forget(a);
                        a.durable.completeExceptionally(e);
                    }
                    return;
                }
                List<Message> ms = new ArrayList<>(fresh.size());
                for (Accepted a : fresh) ms.add(a.message);
                engine.send(ms);
                for (Accepted a : fresh) a.durable.complete(null);
                Set<String> groups = new HashSet<>();
                for (Accepted a : fresh) groups.add(a.message.destination().group());
                groups.forEach(this::wake);
            });
            for (Accepted a : fresh) waits.add(a.durable);
        }
        return CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new));
    }

    /** The refusal of a send past the heap limit, logged at most once per 10 s (a full hub is refused many times a second). */
    private HubFullException full(long held, long incoming, List<Message> batch) {
        String m = "hub full: its unacked messages take about " + mib(held) + " MiB of heap and this request " + mib(incoming)
                + " MiB more, past its limit of " + mib(maxHeldBytes) + " MiB (" + limitSource + "): retry once consumers have caught up, or start the hub with more heap (-Xmx) or a higher --max-held-bytes";
        long now = System.currentTimeMillis();
        if (now - fullLoggedAt > 10_000) {
            fullLoggedAt = now;
            log.warn("transport=http hub: send of {} messages to {} refused: {}", batch.size(), batch.get(0).destination(), m);
        }
        return new HubFullException(m);
    }

    private volatile long fullLoggedAt;

    private static String mib(long bytes) { return String.format(java.util.Locale.ROOT, "%.1f", bytes / 1048576.0); }

    /**
     * Counts accepted messages, and among them the dead letters, whoever made them (a worker's runtime sends its own,
     * the hub's settle and push paths theirs): by their reason and original destination headers (C7).
     */
    private void recordSent(List<Message> ms, long nanos, Throwable error) {
        Telemetry t = telemetry;
        if (t == Telemetry.NONE) return;
        t.sentBatch(ms, nanos, error);
        if (error != null) return;
        for (Message m : ms) {
            String reason = m.headers().get(Message.DEAD_LETTER_REASON), from = m.headers().get(Message.ORIGINAL_DESTINATION);
            if (reason == null || from == null) continue;
            try {
                t.deadLettered(io.courier.Destination.parse(from).group(), SettlementPolicy.reasonKind(reason));
            } catch (IllegalArgumentException ignored) {
                // a header a plain client wrote: not a dead letter the hub can attribute
            }
        }
    }

    // ------------------------------------------------------------------ receive

    /** A long poll waiting for its group: completed by the hub thread, or at once when something is available. */
    private static final class Waiter {
        final Sessions.Session session;
        final int max;
        final long leaseMillis;
        final CompletableFuture<List<Lease>> answer = new CompletableFuture<>();
        ScheduledFuture<?> deadline;

        Waiter(Sessions.Session session, int max, long leaseMillis) {
            this.session = session;
            this.max = max;
            this.leaseMillis = leaseMillis;
        }
    }

    /** The long polls of one group and the time of its next scheduled check. Touched only on the hub thread. */
    private static final class Waiting {
        final LinkedHashSet<Waiter> waiters = new LinkedHashSet<>();
        long checkAt = Long.MAX_VALUE;
        ScheduledFuture<?> check;
    }

    /**
     * Leases up to {@code max} messages of the session's group (and member) for {@code leaseMillis}, waiting up to
     * {@code waitMillis} for the first one; completes empty when the wait ends or the session ends meanwhile. A
     * waiting poll holds no thread: it is a {@link Waiter} that the hub thread completes when the group changes (a
     * send, ack, nack or released session wakes it) or at its next scheduled event (a delay or lease ending).
     */
    CompletableFuture<List<Lease>> receive(Sessions.Session s, int max, long waitMillis, long leaseMillis) {
        s.polling.incrementAndGet();
        CompletableFuture<List<Lease>> answer;
        List<Lease> now = s.closed ? List.of() : tryPoll(s, max, leaseMillis);
        if (now != null || waitMillis <= 0) {
            answer = CompletableFuture.completedFuture(now == null ? List.of() : now);
        } else {
            Waiter w = new Waiter(s, max, leaseMillis);
            answer = w.answer;
            hub.execute(() -> safely(() -> enqueue(w, waitMillis)));
        }
        return answer.whenComplete((v, e) -> {
            s.touch();
            s.polling.decrementAndGet();
        });
    }

    /** On the hub thread: answers the poll if something came meanwhile, else queues it until a change or its deadline. */
    private void enqueue(Waiter w, long waitMillis) {
        Sessions.Session s = w.session;
        List<Lease> got = s.closed ? List.of() : tryPoll(s, w.max, w.leaseMillis);
        if (got != null) {
            answers.execute(() -> w.answer.complete(got));
            return;
        }
        Waiting g = waiting.get(s.group);
        boolean first = g == null;
        if (first) waiting.put(s.group, g = new Waiting());
        g.waiters.add(w);
        w.deadline = hub.schedule(() -> safely(() -> expire(w)), waitMillis, TimeUnit.MILLISECONDS);
        if (first) schedule(s.group, g);
    }

    private static void safely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            log.error("hub: long-poll bookkeeping failed: {}", e.toString(), e);
        }
    }

    /** Leases for this poll now, or null when nothing is available (or the session ended). */
    private List<Lease> tryPoll(Sessions.Session s, int max, long leaseMillis) {
        List<MemEngine.Delivered> got = engine.poll(s.group, s.member, s.id, max, leaseMillis);
        if (got.isEmpty()) return null;
        if (s.closed) { // ended while polling: give them back at once
            for (MemEngine.Delivered d : got) engine.nack(d, 0);
            return List.of();
        }
        return leases(got);
    }

    /** The group may have something for its waiters: check them on the hub thread (once per burst of changes). */
    void wake(String group) {
        if (closed || !wakePending.add(group)) return;
        hub.execute(() -> safely(() -> {
            wakePending.remove(group);
            Waiting g = waiting.get(group);
            if (g != null) pass(group, g);
        }));
    }

    /** On the hub thread: completes every waiter of the group that can be answered, then schedules the next check. */
    private void pass(String group, Waiting g) {
        boolean groupEmpty = false;
        for (Iterator<Waiter> it = g.waiters.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if (w.answer.isDone()) { it.remove(); continue; }
            if (w.session.closed) { finish(it, w, List.of()); continue; }
            if (groupEmpty && w.session.member == null) continue; // pollers of the group alone: nothing for them either
            List<Lease> got = tryPoll(w.session, w.max, w.leaseMillis);
            if (got != null) finish(it, w, got);
            else if (w.session.member == null) groupEmpty = true;
        }
        if (g.waiters.isEmpty()) {
            waiting.remove(group, g);
            if (g.check != null) g.check.cancel(false);
            g.check = null;
            g.checkAt = Long.MAX_VALUE;
            return;
        }
        schedule(group, g);
    }

    /** On the hub thread: a pass of the group's waiters at its next scheduled event (a delay or a lease ending). */
    private void schedule(String group, Waiting g) {
        long next = engine.nextEventAt(group);
        if (next >= g.checkAt && g.check != null && !g.check.isDone()) return;
        if (g.check != null) g.check.cancel(false);
        g.checkAt = next;
        g.check = next == Long.MAX_VALUE ? null : hub.schedule(() -> safely(() -> {
            g.checkAt = Long.MAX_VALUE;
            g.check = null;
            if (waiting.get(group) == g) pass(group, g);
        }), Math.max(1, next - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
    }

    private void finish(Iterator<Waiter> it, Waiter w, List<Lease> got) {
        it.remove();
        if (w.deadline != null) w.deadline.cancel(false);
        answers.execute(() -> w.answer.complete(got)); // the HTTP answer is written off the hub thread
    }

    private void expire(Waiter w) {
        Waiting g = waiting.get(w.session.group);
        if (g != null && g.waiters.remove(w) && g.waiters.isEmpty()) {
            waiting.remove(w.session.group);
            if (g.check != null) g.check.cancel(false);
        }
        answers.execute(() -> w.answer.complete(List.of()));
    }

    private List<Lease> leases(List<MemEngine.Delivered> got) {
        List<Lease> out = new ArrayList<>(got.size());
        List<JournalRecord> attempts = new ArrayList<>(got.size());
        for (MemEngine.Delivered d : got) {
            Accepted a = leased.computeIfAbsent(d.seq(), k -> live.get(key(d.message())));
            if (a == null) continue; // removed meanwhile (its group deleted): nothing to deliver
            Message whole;
            try {
                whole = withPayload(a);
            } catch (RecordUnreadableException e) {
                deadLetterUnreadable(d, a, e);
                continue;
            }
            if (whole == null) continue;
            a.deliveries = d.attempt();
            attempts.add(JournalRecord.attempts(a.seq, d.attempt()));
            out.add(new Lease(incarnation + ":" + d.seq() + ":" + d.token() + ":" + d.group(), whole, d.attempt()));
            telemetry.consumed(d.group(), d.message().destination(), 1);
            if (d.attempt() > 1) telemetry.redelivered(d.group(), d.attempt());
        }
        journal.append(attempts); // not awaited: a lost count only makes a later attempt number lower after a crash
        wake(got.get(0).group()); // the group has new leases, so a new next event; waiters may want what is left
        return out;
    }

    /**
     * The message of {@code a} with its payload read back from the journal; null when the journal no longer holds it
     * (acked or deleted meanwhile) or cannot reach it for another reason than the record itself (logged at ERROR: the
     * lease then ends unanswered, and the message is offered again when it expires). A record that no longer reads back
     * intact is a {@link RecordUnreadableException}: the caller dead-letters the message, it would never read back.
     */
    private Message withPayload(Accepted a) throws RecordUnreadableException {
        try {
            byte[] payload = journal.payload(a.seq);
            return payload == null ? null : a.message.toBuilder().payload(payload).build();
        } catch (RecordUnreadableException e) {
            throw e;
        } catch (java.io.IOException e) {
            log.error("transport=http hub: message {} to {} not delivered: {}", a.message.id(), a.message.destination(), e.getMessage());
            return null;
        }
    }

    /**
     * Dead-letters the message of a fresh lease whose journal record does not read back intact (C7: to its group's
     * dead-letter destination, the corruption as the reason, its headers as sent, an empty payload as the bytes on disk
     * are known wrong) and acks it, so that it neither blocks its ordering key nor comes back at every lease. Should the
     * dead letter not be accepted (disk full, failed journal), the lease ends and the next delivery tries again.
     */
    private void deadLetterUnreadable(MemEngine.Delivered d, Accepted a, RecordUnreadableException e) {
        String dlq = a.message.destination().deadLetterGroup();
        log.warn("transport=http destination={} id={} attempt={}: {}; dead-lettered to any@{} with an empty payload (the bytes on disk"
                + " are kept until compaction; a failing disk shows in dmesg)", a.message.destination(), a.message.id(), d.attempt(), e.reason(), dlq);
        a.deliveries = d.attempt();
        engine.extend(d, 60_000); // the lease outlives the dead letter's fsync
        Message dead = SettlementPolicy.deadLetterOf(a.message, dlq, e.reason(), d.attempt());
        send(List.of(dead), false).thenCompose(v -> ack(List.of(d))).whenComplete((n, err) -> {
            if (err != null) {
                log.warn("transport=http destination={} id={}: the dead letter of the corrupt record was not accepted ({}); tried again when the lease ends",
                        a.message.destination(), a.message.id(), err.toString());
            }
        });
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
            settled(d);
            wake(d.group()); // an ack can make a key's next message available
            Accepted a = leased.remove(d.seq());
            if (a == null) continue;
            forget(a);
            acks.add(JournalRecord.ack(a.seq));
        }
        if (acks.isEmpty()) return CompletableFuture.completedFuture(0);
        return journal.append(acks).thenApply(v -> acks.size());
    }

    /** Releases current leases for redelivery after {@code delayMillis}. */
    int nack(MemEngine.Delivered d, long delayMillis) {
        if (d == null || !engine.nack(d, delayMillis)) return 0;
        settled(d);
        wake(d.group());
        return 1;
    }

    /**
     * Gives back a lease that was never delivered (a push the endpoint did not take): available to the group at once,
     * its attempt not counted. The ATTEMPTS record already written stays (the journal keeps the highest count), so
     * after a crash before the next delivery that one attempt counts.
     */
    int release(MemEngine.Delivered d) {
        if (d == null || !engine.release(d)) return 0;
        Accepted a = leased.get(d.seq());
        if (a != null) a.deliveries = Math.max(0, a.deliveries - 1);
        settled(d);
        wake(d.group());
        return 1;
    }

    /** Extends current leases. */
    int extend(MemEngine.Delivered d, long millis) {
        if (d == null || !engine.extend(d, millis)) return 0;
        SettleListener l = settleListener;
        if (l != null) l.extended(d.seq(), millis);
        return 1;
    }

    /**
     * Dead-letters a current lease: the message goes to {@code any@group.dlq} with the reason and attempt count
     * headers (C7), and is then acked. Completes with false for a stale lease.
     */
    CompletableFuture<Boolean> deadLetter(MemEngine.Delivered d, String reason) {
        Accepted a = d == null ? null : leased.get(d.seq());
        if (a == null || !engine.extend(d, 60_000)) return CompletableFuture.completedFuture(false);
        Message whole;
        try {
            whole = withPayload(a);
        } catch (RecordUnreadableException e) { // rotted since its delivery: what is left of it still goes, saying why the payload is gone
            log.warn("transport=http destination={} id={}: {}; dead-lettered with an empty payload", a.message.destination(), a.message.id(), e.reason());
            whole = a.message;
            reason = reason + " (and then " + e.reason() + ": the payload is lost)";
        }
        if (whole == null) return CompletableFuture.completedFuture(false);
        Message dead = SettlementPolicy.deadLetterOf(whole, a.message.destination().deadLetterGroup(), reason, a.deliveries);
        return send(List.of(dead), false).thenCompose(v -> ack(List.of(d))).thenApply(n -> n > 0);
    }

    /**
     * Removes every message of {@code group} (its members' included), held or leased: an ACK of each is journaled and
     * forced before the future completes, so the removal survives a crash. Leases of the group go stale, waiting polls
     * find it empty. Completes with false when the hub held nothing of the group.
     */
    CompletableFuture<Boolean> deleteGroup(String group) {
        List<JournalRecord> acks = new ArrayList<>();
        for (Accepted a : List.copyOf(live.values())) {
            if (!a.message.destination().group().equals(group)) continue;
            forget(a);
            acks.add(JournalRecord.ack(a.seq));
        }
        leased.values().removeIf(a -> a.message.destination().group().equals(group));
        boolean known = engine.deleteGroup(group);
        wake(group);
        if (acks.isEmpty()) return CompletableFuture.completedFuture(known);
        log.info("hub: group deleted group={} messages={}", group, acks.size());
        return journal.appendForced(acks).thenApply(v -> true);
    }

    /** Per group: depth, in flight, delayed, live members and the depth of its dead-letter group. */
    List<MemEngine.GroupStats> stats() { return engine.stats(); }

    @Override
    public void close() {
        closed = true;
        hub.shutdownNow();
        journal.close();
    }
}
