package io.courier.bench;

import io.courier.Courier;
import io.courier.Message;
import io.courier.SubscriptionOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Whether {@code courier_messages} stays bounded under a long run: N messages of 1 KiB sent through Courier while one
 * subscription consumes them (the backlog kept under {@code window} messages, as a steady service would), the
 * table's size on disk ({@code pg_total_relation_size}: heap, TOAST and indexes), live and dead rows sampled every
 * 10 s and once more after the drain, in a fresh schema. {@code java -cp … io.courier.bench.PgTableSize [messages] [window]}.
 */
public final class PgTableSize {
    private static final String JDBC = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
    private static final String SCHEMA = "courier_size";

    private PgTableSize() {}

    public static void main(String[] args) throws Exception {
        long n = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000;
        int window = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        String group = "size-" + Long.toHexString(System.nanoTime());
        byte[] payload = new byte[1024];
        AtomicLong consumed = new AtomicLong();
        System.out.println("| elapsed s | sent | consumed | live rows | dead rows | table + indexes MiB |");
        System.out.println("| --- | --- | --- | --- | --- | --- |");
        try (Connection jdbc = DriverManager.getConnection(JDBC); Statement st = jdbc.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE"); // a fresh table: no bloat of an earlier run
        }
        try (Connection jdbc = DriverManager.getConnection(JDBC);
             Courier c = Courier.connect("postgres://postgres@127.0.0.1:5432/test?schema=" + SCHEMA)) {
            c.subscribe(SubscriptionOptions.group(group).prefetch(500).build(), d -> consumed.incrementAndGet());
            long t0 = System.nanoTime(), nextSample = t0;
            long sent = 0;
            while (sent < n || consumed.get() < n) {
                if (sent < n && sent - consumed.get() < window) {
                    List<Message> batch = new ArrayList<>(500);
                    for (int i = 0; i < 500 && sent < n; i++, sent++) batch.add(Message.to("any@" + group).payload(payload).build());
                    c.send(batch).join();
                } else {
                    Thread.sleep(5);
                }
                if (System.nanoTime() >= nextSample) {
                    print(jdbc, t0, sent, consumed.get());
                    nextSample += 10_000_000_000L;
                }
            }
            print(jdbc, t0, sent, consumed.get());
            Thread.sleep(60_000); // autovacuum's naptime is 60 s by default
            print(jdbc, t0, sent, consumed.get());
        }
    }

    private static void print(Connection jdbc, long t0, long sent, long consumed) throws SQLException {
        try (Statement st = jdbc.createStatement()) {
            st.execute("SELECT pg_stat_clear_snapshot()");
            try (ResultSet rs = st.executeQuery("SELECT n_live_tup, n_dead_tup, pg_total_relation_size(relid) FROM pg_stat_user_tables"
                    + " WHERE schemaname = '" + SCHEMA + "' AND relname = 'courier_messages'")) {
                rs.next();
                System.out.printf("| %.0f | %d | %d | %d | %d | %.1f |%n", (System.nanoTime() - t0) / 1e9, sent, consumed,
                        rs.getLong(1), rs.getLong(2), rs.getLong(3) / 1048576.0);
            }
        }
    }
}
