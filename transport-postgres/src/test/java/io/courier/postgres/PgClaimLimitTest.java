package io.courier.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.courier.Courier;
import io.courier.Message;
import io.courier.spi.Received;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A claim takes at most the rows asked for, whatever plan the server picks. With statistics that say the table is
 * nearly empty (a server with autovacuum off, as this machine's; a table analyzed while it was), PostgreSQL ran the
 * claim as a nested loop over the table with the {@code LIMIT … FOR UPDATE SKIP LOCKED} subquery on its inner side,
 * rescanned per row: each rescan skipped the rows the statement had just locked and took the next ones, so one
 * receive of 16 claimed the whole backlog of 1,000 (seen in CI as C18's survivor getting every message on attempt 2:
 * the dead consumer had claimed them all). The claim's subquery is now a {@code MATERIALIZED} CTE: evaluated once.
 */
class PgClaimLimitTest {

    @Test
    void aReceiveOf16ClaimsAtMost16RowsEvenWithStaleStatistics() throws Exception {
        PostgresFixture.requireBroker();
        String schema = "courier_claim_" + Long.toHexString(System.nanoTime());
        try (Courier courier = Courier.connect("postgres://postgres@127.0.0.1:5432/test?schema=" + schema)) {
            List<Message> batch = new ArrayList<>();
            for (int i = 0; i < 1_000; i++) batch.add(Message.to("any@claim").id("c" + i).build());
            courier.send(batch).join();
            try (Connection c = PostgresFixture.jdbc(); Statement st = c.createStatement()) {
                // what the planner believes of a table last analyzed nearly empty (superuser: the test's own schema)
                st.execute("UPDATE pg_class SET reltuples = 1, relpages = 100000 WHERE oid = '" + schema + ".courier_messages'::regclass");
            }
            Receiver r = courier.transport().openReceiver(new ReceiverSpec("claim", null, 16, Duration.ofSeconds(30)));
            try {
                List<? extends Received> got = r.receive(16, Duration.ofSeconds(5));
                assertEquals(16, got.size(), "a receive of 16 returned " + got.size());
            } finally {
                r.close();
            }
            try (Connection c = PostgresFixture.jdbc(); Statement st = c.createStatement();
                 var rs = st.executeQuery("SELECT count(*) FROM " + schema + ".courier_messages WHERE attempts > 0 AND visible_at > now()")) {
                rs.next();
                assertEquals(0, rs.getInt(1), "rows still claimed after the receiver closed (16 were claimed and given back)");
            }
        } finally {
            try (Connection c = PostgresFixture.jdbc(); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }
}
