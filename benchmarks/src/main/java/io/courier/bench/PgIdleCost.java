package io.courier.bench;

import io.courier.Courier;
import io.courier.SubscriptionOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * What one idle subscriber costs PostgreSQL: the transactions per second that the server counts in a database that
 * nothing else uses ({@code pg_stat_database.xact_commit + xact_rollback} of {@value #DATABASE}, created on first
 * use), while one subscription of one group waits on an empty queue. Counted by the server, not by Courier, so that
 * every statement of the transport (claims, the listener, keep-alives) is in the figure.
 * {@code java -cp … io.courier.bench.PgIdleCost [seconds]}.
 */
public final class PgIdleCost {
    static final String DATABASE = "courier_idle";
    private static final String ADMIN_JDBC = "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres";

    private PgIdleCost() {}

    /** The figure of one measurement. */
    public record Result(double transactionsPerSecond, long transactions, double seconds) {
        @Override public String toString() {
            return String.format("idle subscriber: %.2f transactions/s (%d in %.0f s, poll-interval 500 ms)", transactionsPerSecond, transactions, seconds);
        }
    }

    /** Subscribes one group, lets it settle for 5 s, then counts the server's transactions over {@code seconds}. */
    public static Result measure(int seconds) throws Exception {
        try (Connection admin = DriverManager.getConnection(ADMIN_JDBC)) {
            createDatabaseIfMissing(admin);
            try (Courier c = Courier.connect("postgres://postgres@127.0.0.1:5432/" + DATABASE + "?schema=courier_idle")) {
                c.subscribe(SubscriptionOptions.group("idle").build(), d -> { });
                Thread.sleep(5_000);
                long before = transactions(admin);
                long t0 = System.nanoTime();
                Thread.sleep(seconds * 1000L);
                // a backend flushes its counters when it goes idle, at least once a second: wait one more flush
                Thread.sleep(1_500);
                long after = transactions(admin);
                double s = (System.nanoTime() - t0) / 1e9 - 1.5;
                return new Result((after - before) / s, after - before, s);
            }
        }
    }

    private static void createDatabaseIfMissing(Connection admin) throws SQLException {
        try (Statement st = admin.createStatement();
             ResultSet rs = st.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + DATABASE + "'")) {
            if (rs.next()) return;
        }
        try (Statement st = admin.createStatement()) {
            st.execute("CREATE DATABASE " + DATABASE);
        }
    }

    private static long transactions(Connection admin) throws SQLException {
        try (Statement st = admin.createStatement()) {
            st.execute("SELECT pg_stat_clear_snapshot()");
            try (ResultSet rs = st.executeQuery("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '" + DATABASE + "'")) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        System.out.println(measure(args.length > 0 ? Integer.parseInt(args[0]) : 60));
    }
}
