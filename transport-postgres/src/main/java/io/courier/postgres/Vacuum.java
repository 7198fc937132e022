package io.courier.postgres;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@code courier_messages} bounded. Every claim leaves a dead row version and every ack another; a queue
 * table turns over its whole content many times a minute, faster than autovacuum's defaults react (a scale factor
 * of 20 % of a table that is nearly empty), and some servers run with autovacuum off. So the transport vacuums its
 * table itself, counting its own claims rather than trusting the server's statistics (a backend reports its dead
 * rows up to 10 s late when it goes idle): every {@link #EVERY}, once this process's claims since its last vacuum
 * left about {@link #MIN_DEAD} dead rows (two per claimed row) and more than the table's live rows, it runs
 * {@code VACUUM (SKIP_LOCKED)}. An idle process costs no query. {@code SKIP_LOCKED}: when another process (or
 * autovacuum) is already vacuuming the table, this one skips its turn instead of waiting.
 */
final class Vacuum {
    private static final Logger log = LoggerFactory.getLogger(Vacuum.class);
    static final Duration EVERY = Duration.ofSeconds(5);
    static final long MIN_DEAD = 10_000;

    private final PgSettings settings;
    private final String table;
    private final AtomicLong churn = new AtomicLong();
    private boolean warnedPrivilege;

    Vacuum(PgSettings settings, String table) {
        this.settings = settings;
        this.table = table;
    }

    /** Counts rows that a claim changed: each leaves dead row versions behind it. */
    void churned(int rows) { if (rows > 0) churn.addAndGet(rows); }

    /** The loop of the transport's vacuum thread, until interrupted. */
    void loop() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(EVERY);
            } catch (InterruptedException e) {
                return;
            }
            long dead = 2 * churn.get();
            if (dead < MIN_DEAD) continue;
            try (Connection c = settings.connect("vacuum")) {
                // what the vacuum could not remove (rows still visible to an open transaction) is counted again, so
                // the next turn retries: subtracting all it was asked for left 18,818 dead rows for good (PgVacuumTest,
                // clean-clone run of 0520a57 at load ~29)
                if (vacuumIfDead(c, dead)) churn.addAndGet(deadRows(c) / 2 - dead / 2);
            } catch (SQLException e) {
                log.debug("transport=postgres vacuum of {} skipped ({})", table, Errors.rootMessage(e));
            }
        }
    }

    /** The server's count of one column of the table's statistics (0 when it has none yet). */
    private long tableStat(Connection c, String column) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT " + column + " FROM pg_stat_user_tables WHERE schemaname = '"
                     + settings.schema + "' AND relname = 'courier_messages'")) {
            return rs.next() ? rs.getLong(1) : 0;
        }
    }

    /** The dead rows the server counts in the table (a vacuum sets it as it ends). */
    private long deadRows(Connection c) throws SQLException { return tableStat(c, "n_dead_tup"); }

    /** Vacuums when the {@code dead} rows this process left outnumber the table's live rows; true when it did. */
    private boolean vacuumIfDead(Connection c, long dead) throws SQLException {
        long live = tableStat(c, "n_live_tup");
        if (dead < live) return false;
        long t0 = System.nanoTime();
        try (Statement st = c.createStatement()) {
            st.execute("VACUUM (SKIP_LOCKED) " + table);
            for (SQLWarning w = st.getWarnings(); w != null; w = w.getNextWarning()) {
                if (!warnedPrivilege && w.getMessage() != null && w.getMessage().contains("skipping")) {
                    warnedPrivilege = true;
                    log.warn("transport=postgres cannot vacuum {} ({}): its dead rows grow until autovacuum runs;"
                            + " let the table's owner connect, or enable autovacuum", table, w.getMessage());
                }
            }
        }
        log.debug("transport=postgres vacuumed {} (~{} dead, {} live rows) in {} ms", table, dead, live, (System.nanoTime() - t0) / 1_000_000);
        return true;
    }
}
