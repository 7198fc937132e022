package io.courier.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.courier.AuthenticationException;
import io.courier.Courier;
import io.courier.CourierException;
import io.courier.Destination;
import io.courier.Message;
import io.courier.TransportUnavailableException;
import io.courier.spi.Received;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import io.courier.spi.Transport;
import io.courier.spi.TransportUrl;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Enqueue in the caller's transaction ({@link PostgresEnqueue}): rolled back, never delivered; committed, delivered;
 * the connection closed (or its backend killed) before the commit, never delivered. Plus plain SQL rows and errors.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostgresTransactionTest {
    static final String SCHEMA = "courier_tx_test";
    static final String URL = "postgres://postgres@127.0.0.1:5432/test?schema=" + SCHEMA;
    private Transport transport;

    @BeforeAll
    void open() throws Exception {
        PostgresFixture.requireBroker();
        try (Connection c = PostgresFixture.jdbc(); Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
        }
        transport = new PostgresProvider().open(TransportUrl.parse(URL).validate(PgSettings.ALL));
    }

    @AfterAll
    void close() { if (transport != null) transport.close(); }

    private Set<String> drain(String group, Duration wait) throws Exception {
        Set<String> ids = new HashSet<>();
        try (Receiver r = transport.openReceiver(new ReceiverSpec(group, null, 100, Duration.ofSeconds(30)))) {
            long end = System.currentTimeMillis() + wait.toMillis();
            while (System.currentTimeMillis() < end) {
                List<? extends Received> got = r.receive(100, Duration.ofMillis(300));
                for (Received d : got) ids.add(d.message().id());
                r.ack(got);
            }
        }
        return ids;
    }

    private static Message msg(String group, String id) { return Message.to(Destination.any(group)).id(id).payload("tx").build(); }

    @Test
    void rolledBackIsNeverDeliveredCommittedIs() throws Exception {
        String g = "tx-" + UUID.randomUUID().toString().substring(0, 8);
        try (Connection c = PostgresFixture.jdbc()) {
            c.setAutoCommit(false);
            PostgresEnqueue.enqueue(c, SCHEMA, List.of(msg(g, "rolled-back")));
            c.rollback();
            PostgresEnqueue.enqueue(c, SCHEMA, List.of(msg(g, "committed-1"), msg(g, "committed-2")));
            c.commit();
        }
        Set<String> got = drain(g, Duration.ofSeconds(3));
        assertEquals(Set.of("committed-1", "committed-2"), got);
    }

    @Test
    void aCrashBeforeCommitIsNeverDelivered() throws Exception {
        String g = "tx-crash-" + UUID.randomUUID().toString().substring(0, 8);
        // closed without commit
        Connection c = PostgresFixture.jdbc();
        c.setAutoCommit(false);
        PostgresEnqueue.enqueue(c, SCHEMA, List.of(msg(g, "closed-uncommitted")));
        c.close();
        // backend killed before commit (as a crash of the server process or of the client's host would do)
        Connection k = PostgresFixture.jdbc();
        k.setAutoCommit(false);
        PostgresEnqueue.enqueue(k, SCHEMA, List.of(msg(g, "killed-uncommitted")));
        int pid = k.unwrap(org.postgresql.PGConnection.class).getBackendPID();
        try (Connection admin = PostgresFixture.jdbc(); PreparedStatement ps = admin.prepareStatement("SELECT pg_terminate_backend(?)")) {
            ps.setInt(1, pid);
            ps.execute();
        }
        assertThrows(java.sql.SQLException.class, k::commit);
        k.close();
        try (Connection ok = PostgresFixture.jdbc()) {
            ok.setAutoCommit(false);
            PostgresEnqueue.enqueue(ok, SCHEMA, List.of(msg(g, "committed")));
            ok.commit();
        }
        assertEquals(Set.of("committed"), drain(g, Duration.ofSeconds(3)));
    }

    @Test
    void aPlainRowWithNoCourierColumnIsDelivered() throws Exception {
        String g = "plain-" + UUID.randomUUID().toString().substring(0, 8);
        try (Connection c = PostgresFixture.jdbc(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO " + SCHEMA + ".courier_messages (grp, payload) VALUES (?, ?)")) {
            ps.setString(1, g);
            ps.setBytes(2, "plain".getBytes());
            ps.executeUpdate();
        }
        try (Receiver r = transport.openReceiver(new ReceiverSpec(g, null, 10, Duration.ofSeconds(30)))) {
            List<Received> got = new ArrayList<>();
            long end = System.currentTimeMillis() + 5_000;
            while (got.isEmpty() && System.currentTimeMillis() < end) got.addAll(r.receive(10, Duration.ofMillis(500)));
            assertEquals(1, got.size());
            assertEquals("plain", got.get(0).message().payloadUtf8());
            assertEquals(1, got.get(0).attempt());
            r.ack(got);
        }
    }

    @Test
    void missingPrivilegesNameWhatToGrant() throws Exception {
        try (Connection c = PostgresFixture.jdbc(); Statement st = c.createStatement()) {
            st.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'courier_noprivs') THEN CREATE ROLE courier_noprivs LOGIN; END IF; END $$");
            st.execute("DROP SCHEMA IF EXISTS courier_np_test CASCADE");
        }
        CourierException e = assertThrows(CourierException.class,
                () -> Courier.connect("postgres://courier_noprivs:pw@127.0.0.1:5432/test?schema=courier_np_test"));
        assertTrue(e.getMessage().contains("GRANT CREATE ON DATABASE test TO courier_noprivs"), e.getMessage());
        assertTrue(e.getMessage().contains("GRANT USAGE ON SCHEMA courier_np_test TO courier_noprivs"), e.getMessage());
        assertFalse(e.getMessage().contains(":pw@"));
    }

    @Test
    void errorsAreTypedAndNeverShowThePassword() {
        // bad credentials: a role that does not exist (trust auth accepts any password of an existing one)
        CourierException auth = assertThrows(CourierException.class, () -> Courier.connect("postgres://nosuchuser:s3cret-pw@127.0.0.1:5432/test"));
        assertInstanceOf(AuthenticationException.class, auth, auth.getMessage());
        assertFalse(auth.getMessage().contains("s3cret-pw"));
        CourierException db = assertThrows(CourierException.class, () -> Courier.connect("postgres://postgres:s3cret-pw@127.0.0.1:5432/no_such_db"));
        assertTrue(db.getMessage().contains("CREATE DATABASE no_such_db"), db.getMessage());
        assertFalse(db.getMessage().contains("s3cret-pw"));
        long t0 = System.currentTimeMillis();
        CourierException down = assertThrows(CourierException.class, () -> Courier.connect("postgres://postgres:s3cret-pw@127.0.0.1:1/test?connect-timeout=2s"));
        assertInstanceOf(TransportUnavailableException.class, down, down.getMessage());
        assertFalse(down.getMessage().contains("s3cret-pw"));
        assertTrue(System.currentTimeMillis() - t0 < 15_000);
        assertThrows(io.courier.InvalidUrlException.class, () -> Courier.connect("postgres://127.0.0.1:5432/test?schema=Bad-Name"));
        CourierException big = assertThrows(CourierException.class, () -> {
            try (Connection c = PostgresFixture.jdbc()) {
                PostgresEnqueue.enqueue(c, SCHEMA, List.of(Message.to("any@big").payload(new byte[2_000_000]).build()));
            }
        });
        assertInstanceOf(io.courier.PayloadTooLargeException.class, big);
        assertThrows(io.courier.InvalidUrlException.class, () -> Courier.connect("postgres://127.0.0.1:5432/test?nope=1"));
    }
}
