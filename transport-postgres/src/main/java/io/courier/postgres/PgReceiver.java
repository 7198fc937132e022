package io.courier.postgres;

import io.courier.TransportUnavailableException;
import io.courier.spi.Received;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives one group (and one member's direct messages) from {@code courier_messages}: a claim is one
 * {@code WITH c AS MATERIALIZED (SELECT … LIMIT n FOR UPDATE SKIP LOCKED) UPDATE … FROM c} that raises {@code attempts} and moves
 * {@code visible_at} to now + ack deadline (the lease). Only the oldest row of an ordering key is claimable (C9).
 * Acks are deletes, nacks move {@code visible_at}; settlements arriving together are sent as one statement each.
 */
final class PgReceiver implements Receiver {
    private static final Logger log = LoggerFactory.getLogger(PgReceiver.class);

    private final PgTransport transport;
    private final ReceiverSpec spec;
    private final PgTransport.Signal signal;
    private final String claimSql;
    private final ReentrantLock db = new ReentrantLock();
    private Connection conn;
    private final Set<PgDelivery> held = ConcurrentHashMap.newKeySet();
    private final ConcurrentLinkedQueue<Settlement> queued = new ConcurrentLinkedQueue<>();
    private final ReentrantLock flushing = new ReentrantLock();
    private volatile boolean closed;
    /** Set once close() has settled what it could: no connection is opened again (a racing claim must not leak one). */
    private volatile boolean released;
    private volatile long unreachableSince;

    /** kind: ACK, NACK (visible after delay), RELEASE (as nack, attempt given back), EXTEND. */
    private enum Kind { ACK, NACK, RELEASE }

    private record Settlement(Kind kind, PgDelivery d, long delayMillis, long queuedNanos) {}

    PgReceiver(PgTransport transport, ReceiverSpec spec) {
        this.transport = transport;
        this.spec = spec;
        this.signal = transport.signal(spec.group());
        String t = transport.table;
        // MATERIALIZED: the locking subquery runs once. Inlined, a plan with it on the inner side of a nested loop
        // (stale statistics: the table believed nearly empty) rescanned it per row, each rescan skipping the rows just
        // locked and taking more: one claim of 16 took 507 of 1,000 (PgClaimLimitTest)
        this.claimSql = "WITH c AS MATERIALIZED (SELECT m.seq FROM " + t + " m WHERE m.grp = ? AND m.visible_at <= now()"
                + " AND (m.member IS NULL OR NOT m.direct OR m.member = ?)"
                + " AND (m.ordering_key IS NULL OR NOT EXISTS (SELECT 1 FROM " + t + " o WHERE o.grp = m.grp"
                + " AND o.ordering_key = m.ordering_key AND o.seq < m.seq))"
                + " ORDER BY m.visible_at, m.seq LIMIT ? FOR UPDATE SKIP LOCKED)"
                + " UPDATE " + t + " t SET attempts = t.attempts + 1, visible_at = now() + make_interval(secs => ?) FROM c WHERE t.seq = c.seq"
                + " RETURNING t.seq, t.id, t.grp, t.member, t.direct, t.headers, t.payload, t.ordering_key, t.attempts";
    }

    @Override
    public List<? extends Received> receive(int max, Duration wait) throws InterruptedException {
        long end = System.nanoTime() + wait.toNanos();
        while (!closed) {
            long seen = signal.generation();
            try {
                List<PgDelivery> got = claim(max);
                unreachableSince = 0;
                transport.reached(true, null); // a receive-only process learns of the recovery too
                if (!got.isEmpty()) return got;
            } catch (SQLException e) {
                if (!Errors.isConnectionLoss(e)) throw Errors.of(e, transport.settings, "receiving from " + spec.group());
                dropConnection();
                transport.reached(false, e);
                long now = System.nanoTime();
                if (unreachableSince == 0) unreachableSince = now;
                else if (now - unreachableSince > transport.settings.sendTimeout.toNanos()) {
                    unreachableSince = now;
                    throw new TransportUnavailableException(transport.settings.where() + " not reachable for "
                            + transport.settings.sendTimeout + " while receiving: " + transport.settings.hint(), e);
                }
                long left = (end - System.nanoTime()) / 1_000_000;
                if (left <= 0) return List.of();
                Thread.sleep(Math.min(left, 250));
                continue;
            }
            long left = (end - System.nanoTime()) / 1_000_000;
            if (left <= 0) return List.of();
            boolean lastWait = left <= transport.settings.pollInterval.toMillis();
            signal.await(seen, Math.min(left, transport.settings.pollInterval.toMillis()));
            // the wait is over with no NOTIFY: the next receive claims, not this one as well (one claim per wait)
            if (lastWait && signal.generation() == seen) return List.of();
        }
        return List.of();
    }

    private List<PgDelivery> claim(int max) throws SQLException {
        List<PgDelivery> out = new ArrayList<>();
        List<Settlement> carried = new ArrayList<>();
        db.lock();
        boolean flushLock = flushing.tryLock();
        try {
            Connection c = connection();
            if (flushLock) for (Settlement s; (s = queued.poll()) != null; ) carried.add(s);
            c.setAutoCommit(false);
            try {
                // the acks and nacks queued since the last statement ride in the claim's transaction: one commit
                if (!carried.isEmpty()) applyIn(c, carried);
                try (PreparedStatement ps = c.prepareStatement(claimSql)) {
                    ps.setString(1, spec.group());
                    ps.setString(2, spec.member());
                    ps.setInt(3, max);
                    ps.setDouble(4, spec.ackDeadline().toMillis() / 1000.0);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            PgDelivery d = new PgDelivery(rs.getLong("seq"), rs.getInt("attempts"), WireFormat.fromRow(rs));
                            out.add(d);
                        }
                    }
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                try { c.rollback(); } catch (SQLException ignored) { /* connection gone: rolled back anyway */ }
                requeue(carried);
                throw e;
            } finally {
                try { c.setAutoCommit(true); } catch (SQLException ignored) { /* dropped by the caller */ }
            }
        } finally {
            if (flushLock) flushing.unlock();
            db.unlock();
        }
        out.sort(Comparator.comparingLong(d -> d.seq));
        transport.vacuum.churned(out.size());
        if (closed) {
            // closed while claiming: give them back at once
            for (PgDelivery d : out) queued.add(new Settlement(Kind.NACK, d, 0, System.nanoTime()));
            flush();
            return List.of();
        }
        held.addAll(out);
        return out;
    }

    private Connection connection() throws SQLException {
        if (conn == null) {
            if (released) throw new SQLException("this receiver of group " + spec.group() + " is closed", "08003");
            Connection c = transport.settings.connect("receiver-" + spec.group());
            // A queue table's statistics are usually stale (analyzed while nearly empty): the planner then reads the
            // whole backlog with a bitmap scan and sorts it for every claim (90 ms for 500 of 100,000 rows, measured),
            // where an ordered scan of courier_messages_claim stops after the rows claimed (< 1 ms). This session only.
            try (var st = c.createStatement()) { st.execute("SET enable_bitmapscan = off"); }
            conn = c;
        }
        return conn;
    }

    private void dropConnection() {
        db.lock();
        try {
            PgTransport.closeQuietly(conn);
            conn = null;
        } finally {
            db.unlock();
        }
    }

    @Override
    public void ack(List<? extends Received> deliveries) { enqueue(deliveries, Kind.ACK, 0); }

    @Override
    public void nack(List<? extends Received> deliveries, Duration delay) { enqueue(deliveries, Kind.NACK, Math.max(0, delay.toMillis())); }

    @Override
    public void release(List<? extends Received> deliveries) { enqueue(deliveries, Kind.RELEASE, 0); }

    private void enqueue(List<? extends Received> deliveries, Kind kind, long delayMillis) {
        long now = System.nanoTime();
        for (Received r : deliveries) {
            if (r instanceof PgDelivery d && held.remove(d) && d.settle()) queued.add(new Settlement(kind, d, delayMillis, now));
        }
        if (kind == Kind.ACK) scheduleFlush();
        else flush();
    }

    /** Acks wait up to {@value #ACK_LINGER_MS} ms for the next claim to carry them, then go on their own. */
    private static final long ACK_LINGER_MS = 20;
    private final java.util.concurrent.atomic.AtomicBoolean flushScheduled = new java.util.concurrent.atomic.AtomicBoolean();

    private void scheduleFlush() {
        if (flushScheduled.compareAndSet(false, true)) {
            Thread.ofVirtual().name("courier-pg-ack-" + spec.group()).start(() -> {
                try { Thread.sleep(ACK_LINGER_MS); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
                flushScheduled.set(false);
                flush();
                if (!queued.isEmpty() && !closed) scheduleFlush(); // a lost connection: try again
            });
        }
    }

    private void requeue(List<Settlement> batch) {
        long limit = transport.settings.sendTimeout.toNanos();
        long now = System.nanoTime();
        batch.removeIf(s -> now - s.queuedNanos > limit);
        queued.addAll(batch);
    }

    /**
     * Sends every queued settlement, grouped by kind and delay into one statement each. One thread at a time; one
     * that finds another flushing leaves its settlements to it. On a lost connection they stay queued (retried by the
     * next flush, for up to the send-timeout; past it the lease runs out and the row is redelivered: at-least-once).
     */
    private void flush() {
        while (!queued.isEmpty()) {
            if (!flushing.tryLock()) return;
            try {
                List<Settlement> batch = new ArrayList<>();
                for (Settlement s; (s = queued.poll()) != null; ) batch.add(s);
                if (batch.isEmpty()) continue;
                try {
                    apply(batch);
                } catch (SQLException e) {
                    if (Errors.isConnectionLoss(e)) {
                        dropConnection();
                        requeue(batch);
                        log.debug("transport=postgres group={} settlements wait for the connection ({})", spec.group(), Errors.rootMessage(e));
                        return;
                    }
                    log.warn("transport=postgres group={} settling {} deliveries failed: {}", spec.group(), batch.size(), Errors.rootMessage(e));
                }
            } finally {
                flushing.unlock();
            }
        }
    }

    private void apply(List<Settlement> batch) throws SQLException {
        db.lock();
        try {
            Connection c = connection();
            c.setAutoCommit(false);
            try {
                applyIn(c, batch);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                try { c.rollback(); } catch (SQLException ignored) { /* connection gone: rolled back anyway */ }
                throw e;
            } finally {
                try { c.setAutoCommit(true); } catch (SQLException ignored) { /* dropped by the caller */ }
            }
        } finally {
            db.unlock();
        }
    }

    /** The statements of {@code batch}, grouped by kind and delay, in the connection's open transaction. */
    private void applyIn(Connection c, List<Settlement> batch) throws SQLException {
        String t = transport.table;
        Map<Kind, Map<Long, List<PgDelivery>>> byKind = new java.util.EnumMap<>(Kind.class);
        for (Settlement s : batch) {
            byKind.computeIfAbsent(s.kind, k -> new java.util.TreeMap<>()).computeIfAbsent(s.delayMillis, k -> new ArrayList<>()).add(s.d);
        }
        boolean requeued = false;
        for (var kind : byKind.entrySet()) {
            for (var e : kind.getValue().entrySet()) {
                List<PgDelivery> ds = e.getValue();
                String sql = switch (kind.getKey()) {
                    case ACK -> "DELETE FROM " + t + " WHERE (seq, attempts) IN (SELECT * FROM unnest(?, ?))";
                    case NACK -> "UPDATE " + t + " SET visible_at = now() + make_interval(secs => ?) WHERE (seq, attempts) IN (SELECT * FROM unnest(?, ?))";
                    case RELEASE -> "UPDATE " + t + " SET visible_at = now() + make_interval(secs => ?), attempts = attempts - 1 WHERE (seq, attempts) IN (SELECT * FROM unnest(?, ?))";
                };
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    int i = 1;
                    if (kind.getKey() != Kind.ACK) ps.setDouble(i++, e.getKey() / 1000.0);
                    Array seqs = c.createArrayOf("bigint", ds.stream().map(d -> d.seq).toArray(Long[]::new));
                    Array attempts = c.createArrayOf("integer", ds.stream().map(d -> d.attempt).toArray(Integer[]::new));
                    ps.setArray(i++, seqs);
                    ps.setArray(i, attempts);
                    ps.executeUpdate();
                }
                if (kind.getKey() != Kind.ACK && e.getKey() == 0) requeued = true;
            }
        }
        if (requeued) transport.notify(c, Set.of(spec.group()));
    }

    @Override
    public void extendLease(List<? extends Received> deliveries, Duration extension) {
        List<PgDelivery> ds = new ArrayList<>();
        for (Received r : deliveries) if (r instanceof PgDelivery d && !d.settled()) ds.add(d);
        if (ds.isEmpty() || closed) return;
        db.lock();
        try {
            Connection c = connection();
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + transport.table
                    + " SET visible_at = GREATEST(visible_at, now() + make_interval(secs => ?)) WHERE (seq, attempts) IN (SELECT * FROM unnest(?, ?))")) {
                ps.setDouble(1, extension.toMillis() / 1000.0);
                ps.setArray(2, c.createArrayOf("bigint", ds.stream().map(d -> d.seq).toArray(Long[]::new)));
                ps.setArray(3, c.createArrayOf("integer", ds.stream().map(d -> d.attempt).toArray(Integer[]::new)));
                ps.executeUpdate();
            }
        } catch (SQLException e) {
            if (Errors.isConnectionLoss(e)) {
                PgTransport.closeQuietly(conn);
                conn = null;
            }
            log.debug("transport=postgres group={} lease extension failed: {}", spec.group(), Errors.rootMessage(e));
        } finally {
            db.unlock();
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        long now = System.nanoTime();
        for (PgDelivery d : List.copyOf(held)) {
            if (held.remove(d) && d.settle()) queued.add(new Settlement(Kind.NACK, d, 0, now));
        }
        long deadline = now + Duration.ofSeconds(5).toNanos();
        while (!queued.isEmpty() && System.nanoTime() < deadline) {
            flush();
            if (!queued.isEmpty()) {
                try { Thread.sleep(100); } catch (InterruptedException e) { Thread.currentThread().interrupt(); break; }
            }
        }
        released = true;
        dropConnection();
        transport.forget(this);
    }
}
