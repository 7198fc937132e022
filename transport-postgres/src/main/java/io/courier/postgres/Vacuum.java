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
 * table itself: every {@link #EVERY}, when this process has claimed at least {@link #MIN_CHURN} rows since the last
 * look (an idle process costs no query), it reads the server's dead-row count and runs
 * {@code VACUUM (SKIP_LOCKED)} once the dead rows pass {@link #MIN_DEAD} and the live ones. {@code SKIP_LOCKED}: when
 * another process (or autovacuum) is already vacuuming the table, this one skips its turn instead of waiting.
 */
final class Vacuum {
    private static final Logger log = LoggerFactory.getLogger(Vacuum.class);
    static final Duration EVERY = Duration.ofSeconds(5);
    static final long MIN_CHURN = 1_000;
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
            if (churn.get() < MIN_CHURN) continue;
            churn.set(0);
            try (Connection c = settings.connect("vacuum")) {
                vacuumIfDead(c);
            } catch (SQLException e) {
                log.debug("transport=postgres vacuum of {} skipped ({})", table, Errors.rootMessage(e));
            }
        }
    }

    private void vacuumIfDead(Connection c) throws SQLException {
        long dead, live;
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT n_dead_tup, n_live_tup FROM pg_stat_user_tables WHERE schemaname = '"
                     + settings.schema + "' AND relname = 'courier_messages'")) {
            if (!rs.next()) return;
            dead = rs.getLong(1);
            live = rs.getLong(2);
        }
        if (dead < MIN_DEAD || dead < live) return;
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
        log.debug("transport=postgres vacuumed {} ({} dead, {} live rows) in {} ms", table, dead, live, (System.nanoTime() - t0) / 1_000_000);
    }
}
