package io.courier.postgres;

import io.courier.CourierException;
import io.courier.Message;
import io.courier.PayloadTooLargeException;
import io.courier.TransportUnavailableException;
import io.courier.spi.Capabilities;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import io.courier.spi.Transport;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Courier over PostgreSQL: one table of messages, claimed with {@code FOR UPDATE SKIP LOCKED}, leased by a
 * visible-after time, acked by deleting. A send completes once its row is committed ({@code synchronous_commit} as
 * the server has it, on by default): concurrent sends are grouped by {@code senders} threads into one INSERT batch
 * and one commit (group commit), which also NOTIFYs the groups concerned. Receivers wait for those NOTIFYs, and poll
 * at {@code poll-interval} anyway (NOTIFY is not durable).
 */
final class PgTransport implements Transport {
    private static final Logger log = LoggerFactory.getLogger(PgTransport.class);

    final PgSettings settings;
    final String table;
    final String channel;
    private final Capabilities capabilities;
    private final LinkedBlockingDeque<Pending> pending = new LinkedBlockingDeque<>();
    private final List<Thread> senderThreads = new ArrayList<>();
    private final Thread listenerThread;
    final Vacuum vacuum;
    private final Thread vacuumThread;
    private final Set<PgReceiver> receivers = ConcurrentHashMap.newKeySet();
    private final Map<String, Signal> signals = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean reachable = new AtomicBoolean(true);
    private volatile boolean stopping;

    private PgTransport(PgSettings settings) {
        this.settings = settings;
        this.table = settings.schema + ".courier_messages";
        this.channel = "courier_" + settings.schema;
        this.capabilities = new Capabilities(settings.maxPayload, true, false,
                settings.pollInterval.plusMillis(500), Map.of());
        for (int i = 0; i < settings.senders; i++) {
            senderThreads.add(Thread.ofVirtual().name("courier-pg-sender-" + i).start(this::sendLoop));
        }
        listenerThread = Thread.ofVirtual().name("courier-pg-listener").start(this::listenLoop);
        vacuum = new Vacuum(settings, table);
        vacuumThread = Thread.ofVirtual().name("courier-pg-vacuum").start(vacuum::loop);
    }

    /** Connects once, checking credentials, database and privileges, and creates the tables when missing. */
    static PgTransport open(PgSettings settings) {
        try (Connection c = settings.connect("setup")) {
            Schema.ensure(c, settings);
        } catch (SQLException e) {
            throw Errors.of(e, settings, "connecting");
        }
        log.info("transport=postgres connected to {} schema={}", settings.where(), settings.schema);
        return new PgTransport(settings);
    }

    @Override
    public Capabilities capabilities() { return capabilities; }

    @Override
    public java.util.Optional<io.courier.spi.Admin> admin() { return java.util.Optional.of(new PgAdmin(settings, table)); }

    @Override
    public CompletableFuture<Void> send(List<Message> batch) {
        if (closed.get()) return CompletableFuture.failedFuture(new CourierException("this PostgreSQL transport is closed: connect again"));
        long deadline = System.nanoTime() + settings.sendTimeout.toNanos();
        List<CompletableFuture<Void>> all = new ArrayList<>(batch.size());
        for (Message m : batch) {
            Pending p = new Pending(m, deadline, new CompletableFuture<>());
            all.add(p.done);
            long size = WireFormat.size(m);
            if (size > settings.maxPayload) {
                p.done.completeExceptionally(new PayloadTooLargeException(m.id(), size, settings.maxPayload, "the max-payload-bytes of this postgres:// URL"));
                continue;
            }
            pending.add(p);
        }
        return all.size() == 1 ? all.get(0) : CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
    }

    private record Pending(Message message, long deadlineNanos, CompletableFuture<Void> done) {}

    /** One sender connection: takes everything waiting (up to max-batch), inserts it in one transaction, commits. */
    private void sendLoop() {
        Connection c = null;
        List<Pending> batch = new ArrayList<>();
        long backoff = 50;
        while (true) {
            try {
                if (batch.isEmpty()) {
                    Pending first = pending.poll(200, TimeUnit.MILLISECONDS);
                    if (first == null) {
                        if (stopping && pending.isEmpty()) break;
                        continue;
                    }
                    batch.add(first);
                    pending.drainTo(batch, settings.maxBatch - 1);
                }
                // expired while the database was unreachable
                long now = System.nanoTime();
                batch.removeIf(p -> {
                    if (now - p.deadlineNanos > 0) {
                        p.done.completeExceptionally(new TransportUnavailableException("send of message " + p.message.id() + " not accepted within the send-timeout of "
                                + settings.sendTimeout + ": " + settings.where() + " is not reachable: " + settings.hint()));
                        return true;
                    }
                    return false;
                });
                if (batch.isEmpty()) continue;
                if (c == null) {
                    c = settings.connect("sender");
                    c.setAutoCommit(false);
                }
                insert(c, batch);
                reached(true, null);
                for (Pending p : batch) p.done.complete(null);
                batch.clear();
                backoff = 50;
            } catch (InterruptedException e) {
                break;
            } catch (SQLException | RuntimeException e) {
                if (Errors.isConnectionLoss(e)) {
                    reached(false, e);
                    closeQuietly(c);
                    c = null;
                    try { Thread.sleep(backoff); } catch (InterruptedException ie) { break; }
                    backoff = Math.min(1_000, backoff * 2);
                } else {
                    if (c != null) {
                        try { c.rollback(); } catch (SQLException ignored) { closeQuietly(c); c = null; }
                    }
                    failAll(batch, Errors.of(e, settings, "sending"));
                }
            }
        }
        closeQuietly(c);
        failAll(batch, new CourierException("the PostgreSQL transport closed before these messages were sent"));
    }

    private static void failAll(List<Pending> batch, Throwable e) {
        for (Pending p : batch) p.done.completeExceptionally(e);
        batch.clear();
    }

    private void insert(Connection c, List<Pending> batch) throws SQLException {
        Set<String> groups = new LinkedHashSet<>();
        try (PreparedStatement ps = c.prepareStatement(WireFormat.insertSql(settings.schema))) {
            for (Pending p : batch) {
                WireFormat.bind(ps, p.message);
                ps.addBatch();
                groups.add(p.message.destination().group());
            }
            ps.executeBatch();
        }
        notify(c, groups);
        c.commit();
    }

    /** NOTIFY of the groups, in the connection's transaction (delivered at commit). */
    void notify(Connection c, Set<String> groups) throws SQLException {
        try (PreparedStatement n = c.prepareStatement("SELECT pg_notify(?, ?)")) {
            for (String g : groups) {
                n.setString(1, channel);
                n.setString(2, g);
                n.addBatch();
            }
            n.executeBatch();
        }
    }

    private void listenLoop() {
        Connection c = null;
        while (!stopping) {
            try {
                if (c == null) {
                    c = settings.connect("listener");
                    try (var st = c.createStatement()) { st.execute("LISTEN " + channel); }
                    signals.values().forEach(Signal::fire); // NOTIFYs may have been missed meanwhile: everyone claims once
                }
                PGNotification[] got = c.unwrap(PGConnection.class).getNotifications(500);
                if (got != null) {
                    for (PGNotification n : got) {
                        Signal s = signals.get(n.getParameter());
                        if (s != null) s.fire();
                    }
                }
            } catch (SQLException e) {
                closeQuietly(c);
                c = null;
                if (stopping) break;
                log.debug("transport=postgres listener lost its connection ({}); reconnecting", Errors.rootMessage(e));
                try { Thread.sleep(500); } catch (InterruptedException ie) { break; }
            }
        }
        closeQuietly(c);
    }

    Signal signal(String group) { return signals.computeIfAbsent(group, g -> new Signal()); }

    /** Wakes the receivers of a group waiting in this process. */
    static final class Signal {
        private long generation;

        synchronized long generation() { return generation; }

        synchronized void fire() { generation++; notifyAll(); }

        /** Waits until the generation moves past {@code seen}, or the time is up. */
        synchronized void await(long seen, long millis) throws InterruptedException {
            long end = System.currentTimeMillis() + millis;
            while (generation == seen) {
                long left = end - System.currentTimeMillis();
                if (left <= 0) return;
                wait(left);
            }
        }
    }

    @Override
    public Receiver openReceiver(ReceiverSpec spec) {
        if (closed.get()) throw new CourierException("this PostgreSQL transport is closed: connect again");
        PgReceiver r = new PgReceiver(this, spec);
        receivers.add(r);
        return r;
    }

    void forget(PgReceiver r) { receivers.remove(r); }

    void reached(boolean ok, Throwable cause) {
        if (reachable.compareAndSet(!ok, ok)) {
            if (ok) log.info("transport=postgres {} reachable again", settings.where());
            else log.warn("transport=postgres {} not reachable ({}); retrying", settings.where(), cause == null ? "" : Errors.rootMessage(cause));
        }
    }

    static void closeQuietly(Connection c) {
        if (c == null) return;
        try { c.close(); } catch (SQLException ignored) { /* gone anyway */ }
    }

    /** Whether the last statement (a send, claim or settlement) reached the database. */
    @Override
    public java.util.Optional<Boolean> reachable() { return java.util.Optional.of(!closed.get() && reachable.get()); }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        for (PgReceiver r : List.copyOf(receivers)) r.close();
        stopping = true;
        long deadline = System.nanoTime() + settings.sendTimeout.toNanos() + TimeUnit.SECONDS.toNanos(1);
        for (Thread t : senderThreads) {
            try { t.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime()))); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
        }
        for (Thread t : senderThreads) t.interrupt();
        listenerThread.interrupt();
        vacuumThread.interrupt();
        try { listenerThread.join(Duration.ofSeconds(2)); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
        log.info("transport=postgres closed {}", settings.where());
    }
}
