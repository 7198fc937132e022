package io.courier.bench;

import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Raw JDBC on PostgreSQL, the SQL that {@code postgres://} runs, without Courier: two sender connections, each
 * inserting everything queued (≤ 500) as one batch and one commit ({@code synchronous_commit=on}); one consumer that
 * claims 100 rows with {@code FOR UPDATE SKIP LOCKED} (lease = visible_at + 30 s) and deletes them in one statement.
 */
final class PgRawDriver implements BenchDriver {
    private record Pending(byte[] payload, CompletableFuture<Void> done) {}

    static final String SCHEMA = "courier_bench_raw";
    private final String jdbcUrl;
    private String group;
    private final LinkedBlockingQueue<Pending> outbox = new LinkedBlockingQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;

    PgRawDriver(String jdbcUrl) { this.jdbcUrl = jdbcUrl; }

    @Override
    public void setUp(String destination) throws Exception {
        group = destination;
        try (Connection c = DriverManager.getConnection(jdbcUrl); Statement st = c.createStatement()) {
            st.execute("SELECT pg_advisory_lock(hashtext('courier-bench-raw'))");
            st.execute("CREATE SCHEMA IF NOT EXISTS " + SCHEMA);
            st.execute("CREATE TABLE IF NOT EXISTS " + SCHEMA + ".q (seq bigserial PRIMARY KEY, id text NOT NULL DEFAULT gen_random_uuid()::text,"
                    + " grp text NOT NULL, headers jsonb NOT NULL DEFAULT '{}', payload bytea NOT NULL, visible_at timestamptz NOT NULL DEFAULT now(),"
                    + " attempts int NOT NULL DEFAULT 0)");
            st.execute("CREATE UNIQUE INDEX IF NOT EXISTS q_grp_id ON " + SCHEMA + ".q (grp, id)");
            st.execute("CREATE INDEX IF NOT EXISTS q_claim ON " + SCHEMA + ".q (grp, visible_at, seq)");
            st.execute("SELECT pg_advisory_unlock(hashtext('courier-bench-raw'))");
            // the dead rows of earlier measurements, which Courier's transport vacuums by itself (autovacuum may be off)
            st.execute("VACUUM (SKIP_LOCKED) " + SCHEMA + ".q");
        }
        for (int i = 0; i < 2; i++) threads.add(Thread.ofPlatform().name("pg-raw-sender").start(this::sendLoop));
    }

    private void sendLoop() {
        List<Pending> batch = new ArrayList<>(500);
        try (Connection c = DriverManager.getConnection(jdbcUrl + "&reWriteBatchedInserts=true")) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + SCHEMA + ".q (id, grp, payload) VALUES (gen_random_uuid()::text, ?, ?)")) {
                while (running || !outbox.isEmpty()) {
                    Pending first = outbox.poll(100, TimeUnit.MILLISECONDS);
                    if (first == null) continue;
                    batch.add(first);
                    outbox.drainTo(batch, 499);
                    try {
                        for (Pending p : batch) {
                            ps.setString(1, group);
                            ps.setBytes(2, p.payload());
                            ps.addBatch();
                        }
                        ps.executeBatch();
                        c.commit();
                        batch.forEach(p -> p.done().complete(null));
                    } catch (Exception e) {
                        try { c.rollback(); } catch (Exception ignored) { /* connection gone */ }
                        batch.forEach(p -> p.done().completeExceptionally(e));
                    }
                    batch.clear();
                }
            }
        } catch (Exception e) {
            batch.forEach(p -> p.done().completeExceptionally(e));
        }
    }

    @Override
    public CompletableFuture<Void> send(byte[] payload) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        outbox.add(new Pending(payload, f));
        return f;
    }

    @Override
    public void startConsumer(Sink sink) {
        threads.add(Thread.ofPlatform().name("pg-raw-consumer").start(() -> {
            try (Connection c = DriverManager.getConnection(jdbcUrl);
                 PreparedStatement claim = c.prepareStatement("WITH c AS MATERIALIZED (SELECT seq FROM " + SCHEMA + ".q WHERE grp = ? AND visible_at <= now()"
                         + " ORDER BY visible_at, seq LIMIT 100 FOR UPDATE SKIP LOCKED)" // once: see PgClaimLimitTest
                         + " UPDATE " + SCHEMA + ".q t SET attempts = t.attempts + 1, visible_at = now() + interval '30 seconds'"
                         + " FROM c WHERE t.seq = c.seq RETURNING t.seq, t.attempts, t.payload");
                 PreparedStatement ack = c.prepareStatement("DELETE FROM " + SCHEMA + ".q WHERE (seq, attempts) IN (SELECT * FROM unnest(?, ?))")) {
                // as postgres:// does on its receiver connections: an ordered index scan for claims, whatever the stale statistics say
                try (Statement st = c.createStatement()) { st.execute("SET enable_bitmapscan = off"); }
                while (running) {
                    claim.setString(1, group);
                    List<Long> seqs = new ArrayList<>();
                    List<Integer> attempts = new ArrayList<>();
                    try (ResultSet rs = claim.executeQuery()) {
                        while (rs.next()) {
                            seqs.add(rs.getLong(1));
                            attempts.add(rs.getInt(2));
                            sink.received(rs.getBytes(3));
                        }
                    }
                    if (seqs.isEmpty()) { Thread.sleep(5); continue; }
                    Array s = c.createArrayOf("bigint", seqs.toArray());
                    Array a = c.createArrayOf("integer", attempts.toArray());
                    ack.setArray(1, s);
                    ack.setArray(2, a);
                    ack.executeUpdate();
                }
            } catch (Exception e) {
                if (running) throw new IllegalStateException(e);
            }
        }));
    }

    @Override
    public void close() throws Exception {
        running = false;
        for (Thread t : threads) t.join(10_000);
        try (Connection c = DriverManager.getConnection(jdbcUrl); PreparedStatement ps = c.prepareStatement("DELETE FROM " + SCHEMA + ".q WHERE grp = ?")) {
            ps.setString(1, group);
            ps.executeUpdate();
        } catch (Exception ignored) { /* best effort */ }
    }
}
