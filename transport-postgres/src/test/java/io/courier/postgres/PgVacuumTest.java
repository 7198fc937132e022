package io.courier.postgres;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Courier;
import io.courier.Message;
import io.courier.SubscriptionOptions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The dead rows that claims and acks leave are vacuumed by the transport itself, whether or not the server runs
 * autovacuum (this machine's PostgreSQL runs with {@code autovacuum = off}): after 20,000 messages went through,
 * the server counts a manual vacuum of the table and fewer dead rows than the threshold.
 */
class PgVacuumTest {

    @Test
    void theDeadRowsOfConsumedMessagesAreVacuumed() throws Exception {
        PostgresFixture.requireBroker();
        String schema = "courier_vacuum_" + Long.toHexString(System.nanoTime());
        int n = 20_000;
        try (Courier courier = Courier.connect("postgres://postgres@127.0.0.1:5432/test?schema=" + schema)) {
            CountDownLatch done = new CountDownLatch(n);
            courier.subscribe(SubscriptionOptions.group("churn").prefetch(500).build(), d -> done.countDown());
            List<Message> batch = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                batch.add(Message.to("any@churn").payload(new byte[256]).build());
                if (batch.size() == 500) { courier.send(batch).join(); batch = new ArrayList<>(); }
            }
            assertTrue(done.await(120, TimeUnit.SECONDS), "all consumed");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            long[] s = stats(schema);
            while ((s[0] == 0 || s[1] >= Vacuum.MIN_DEAD) && System.nanoTime() < deadline) {
                Thread.sleep(500);
                s = stats(schema);
            }
            assertTrue(s[0] > 0, "the transport vacuumed its table (vacuum_count " + s[0] + ", " + s[1] + " dead rows)");
            assertTrue(s[1] < Vacuum.MIN_DEAD, "dead rows after the vacuum: " + s[1]);
        } finally {
            try (Connection c = PostgresFixture.jdbc(); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    /** {vacuum_count, n_dead_tup} of the schema's table, as the server counts them. */
    private static long[] stats(String schema) throws Exception {
        try (Connection c = PostgresFixture.jdbc(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT vacuum_count, n_dead_tup FROM pg_stat_user_tables"
                    + " WHERE schemaname = '" + schema + "' AND relname = 'courier_messages'")) {
                return rs.next() ? new long[] {rs.getLong(1), rs.getLong(2)} : new long[] {0, 0};
            }
        }
    }
}
