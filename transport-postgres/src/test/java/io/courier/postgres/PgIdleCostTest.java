package io.courier.postgres;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Courier;
import io.courier.SubscriptionOptions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * An idle subscriber costs at most one claim per wait period (the bound): counted by the server, as the
 * scans of {@code courier_messages} in a schema that nothing else uses, read after the subscriber's connections
 * closed (a backend's counters reach the server's statistics at the latest when it exits).
 */
class PgIdleCostTest {

    @Test
    void anIdleSubscriberClaimsOncePerPollInterval() throws Exception {
        PostgresFixture.requireBroker();
        String schema = "courier_idle_" + Long.toHexString(System.nanoTime());
        String url = "postgres://postgres@127.0.0.1:5432/test?schema=" + schema + "&poll-interval=500ms";
        int seconds = 10;
        try {
            long before;
            try (Courier courier = Courier.connect(url)) {
                before = scans(schema);
                courier.subscribe(SubscriptionOptions.group("idle").build(), d -> { });
                Thread.sleep(seconds * 1000L);
            }
            Thread.sleep(1_500);
            long claims = scans(schema) - before;
            long bound = seconds * 2 + 2; // one claim per 500 ms, plus the first claim and the close
            assertTrue(claims <= bound, "an idle subscriber made " + claims + " claims in " + seconds
                    + " s with poll-interval 500 ms: at most " + bound + " expected (one per wait period)");
            assertTrue(claims >= seconds, "the subscriber must still poll (a NOTIFY can be missed): " + claims + " claims in " + seconds + " s");
        } finally {
            try (Connection c = PostgresFixture.jdbc(); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    private static long scans(String schema) throws Exception {
        try (Connection c = PostgresFixture.jdbc(); Statement st = c.createStatement()) {
            st.execute("SELECT pg_stat_clear_snapshot()");
            try (ResultSet rs = st.executeQuery("SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables"
                    + " WHERE schemaname = '" + schema + "' AND relname = 'courier_messages'")) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }
}
