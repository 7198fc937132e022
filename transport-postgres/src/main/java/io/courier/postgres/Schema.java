package io.courier.postgres;

import io.courier.CourierException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Courier's tables in one schema, version {@value #VERSION}: created on demand, idempotently (under an advisory
 * lock, so that concurrent first opens do not collide), or applied by hand by a DBA from {@link #ddl(String)}.
 */
final class Schema {
    static final int VERSION = 1;

    private Schema() {}

    /** The DDL of version 1 for {@code schema}, as a DBA would apply it. */
    static String ddl(String schema) {
        String s = schema;
        return """
                CREATE SCHEMA IF NOT EXISTS %1$s;
                CREATE TABLE IF NOT EXISTS %1$s.courier_schema_version (
                  version    integer PRIMARY KEY,
                  applied_at timestamptz NOT NULL DEFAULT now()
                );
                CREATE TABLE IF NOT EXISTS %1$s.courier_messages (
                  seq          bigserial   PRIMARY KEY,
                  id           text        NOT NULL DEFAULT gen_random_uuid()::text,
                  grp          text        NOT NULL,
                  member       text,
                  direct       boolean     NOT NULL DEFAULT false,
                  headers      jsonb       NOT NULL DEFAULT '{}'::jsonb,
                  payload      bytea       NOT NULL DEFAULT '\\x'::bytea,
                  ordering_key text,
                  visible_at   timestamptz NOT NULL DEFAULT now(),
                  attempts     integer     NOT NULL DEFAULT 0,
                  created_at   timestamptz NOT NULL DEFAULT now()
                );
                CREATE UNIQUE INDEX IF NOT EXISTS courier_messages_grp_id ON %1$s.courier_messages (grp, id);
                CREATE INDEX IF NOT EXISTS courier_messages_claim ON %1$s.courier_messages (grp, visible_at, seq);
                CREATE INDEX IF NOT EXISTS courier_messages_key ON %1$s.courier_messages (grp, ordering_key, seq) WHERE ordering_key IS NOT NULL;
                INSERT INTO %1$s.courier_schema_version (version) VALUES (1) ON CONFLICT DO NOTHING;
                """.formatted(s);
    }

    /** Checks the schema version; creates the tables when they are missing. */
    static void ensure(Connection c, PgSettings s) throws SQLException {
        Integer v = version(c, s.schema);
        if (v == null) {
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("SELECT pg_advisory_xact_lock(hashtext('courier-schema:" + s.schema + "'))");
                st.execute(ddl(s.schema));
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(auto);
            }
            v = version(c, s.schema);
        }
        if (v == null || v > VERSION) {
            throw new CourierException("schema " + s.schema + " of " + s.where() + " has Courier table version " + v
                    + ", this transport knows version " + VERSION + ": upgrade io.courier:transport-postgres");
        }
    }

    private static Integer version(Connection c, String schema) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT to_regclass('" + schema + ".courier_schema_version') IS NOT NULL, to_regclass('" + schema + ".courier_messages') IS NOT NULL")) {
            rs.next();
            if (!rs.getBoolean(1) || !rs.getBoolean(2)) return null;
        }
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT max(version) FROM " + schema + ".courier_schema_version")) {
            rs.next();
            int v = rs.getInt(1);
            return rs.wasNull() ? null : v;
        }
    }
}
