package io.courier.postgres;

import io.courier.Message;
import io.courier.PayloadTooLargeException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Enqueue inside the caller's own transaction: the messages are inserted with the caller's {@link Connection}, in
 * whatever transaction it has open, and NOTIFY their groups in it. When that transaction commits they are delivered
 * like any message sent with {@code Courier.send}; when it rolls back, or the connection dies before the commit, they
 * never existed. Nothing is committed, rolled back or closed here: the transaction stays the caller's.
 *
 * <pre>{@code
 * try (Connection c = dataSource.getConnection()) {
 *     c.setAutoCommit(false);
 *     ... UPDATE promises SET state = 'pending' WHERE id = ? ...
 *     PostgresEnqueue.enqueue(c, "courier", List.of(Message.to("any@workers").payload(task).build()));
 *     c.commit();          // the state change and the message, atomically
 * }
 * }</pre>
 *
 * The schema's tables must exist: a {@code postgres://} transport creates them when it opens (or a DBA applies the
 * DDL of {@link #ddl(String)}). {@code schema} is the {@code schema} parameter of the URL ({@code courier} by default).
 */
public final class PostgresEnqueue {
    /** The default schema of {@code postgres://} URLs. */
    public static final String DEFAULT_SCHEMA = "courier";
    /** The default {@code max-payload-bytes}. */
    public static final long DEFAULT_MAX_PAYLOAD = 1_048_576;

    private PostgresEnqueue() {}

    /** Inserts {@code messages} into {@code schema}'s queue in the caller's transaction on {@code tx}. */
    public static void enqueue(Connection tx, String schema, List<Message> messages) throws SQLException {
        if (!schema.matches("[a-z_][a-z0-9_]{0,39}")) throw new IllegalArgumentException("invalid schema name '" + schema + "': lower-case letters, digits and '_', at most 40");
        for (Message m : messages) {
            long size = WireFormat.size(m);
            if (size > DEFAULT_MAX_PAYLOAD) throw new PayloadTooLargeException(m.id(), size, DEFAULT_MAX_PAYLOAD, "the default max-payload-bytes of postgres://");
        }
        Set<String> groups = new LinkedHashSet<>();
        try (PreparedStatement ps = tx.prepareStatement(WireFormat.insertSql(schema))) {
            for (Message m : messages) {
                WireFormat.bind(ps, m);
                ps.addBatch();
                groups.add(m.destination().group());
            }
            ps.executeBatch();
        }
        try (PreparedStatement n = tx.prepareStatement("SELECT pg_notify(?, ?)")) {
            for (String g : groups) {
                n.setString(1, "courier_" + schema);
                n.setString(2, g);
                n.addBatch();
            }
            n.executeBatch();
        }
    }

    /** {@link #enqueue(Connection, String, List)} into the default schema {@code courier}. */
    public static void enqueue(Connection tx, Message... messages) throws SQLException {
        enqueue(tx, DEFAULT_SCHEMA, List.of(messages));
    }

    /** The DDL of Courier's tables in {@code schema}, for a DBA to apply by hand. */
    public static String ddl(String schema) { return Schema.ddl(schema); }
}
