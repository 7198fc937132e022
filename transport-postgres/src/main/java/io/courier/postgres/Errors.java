package io.courier.postgres;

import io.courier.AuthenticationException;
import io.courier.CourierException;
import io.courier.TransportUnavailableException;
import java.io.IOException;
import java.sql.SQLException;

/** Maps driver exceptions to Courier's typed errors (C14), each naming the problem and the fix, never a password. */
final class Errors {
    private Errors() {}

    /** True when the error means the connection is unusable (the server is down, restarted, or the link was cut). */
    static boolean isConnectionLoss(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && s.getSQLState() != null) {
                String st = s.getSQLState();
                if (st.startsWith("08") || st.equals("57P01") || st.equals("57P02") || st.equals("57P03") || st.equals("53300")) return true;
            }
            if (t instanceof IOException) return true;
        }
        return false;
    }

    static String state(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) if (t instanceof SQLException s && s.getSQLState() != null) return s.getSQLState();
        return "";
    }

    static CourierException of(Throwable e, PgSettings s, String action) {
        String st = state(e);
        String root = rootMessage(e);
        if (st.equals("28P01") || st.equals("28000")) {
            return new AuthenticationException(s.where() + " refused the credentials while " + action + " (" + root
                    + "): check the user and password in the URL (postgres://user:password@host:port/db) and pg_hba.conf", e);
        }
        if (st.equals("3D000")) {
            return new CourierException(s.where() + ": database '" + s.database + "' does not exist: create it (CREATE DATABASE "
                    + s.database + ";) or name an existing one in the URL path", e);
        }
        if (st.equals("42501") || st.equals("42000")) {
            return new CourierException(s.where() + ": user '" + s.user + "' lacks a privilege while " + action + " (" + root + "): "
                    + "GRANT CREATE ON DATABASE " + s.database + " TO " + s.user + " (to let Courier create schema " + s.schema
                    + "), or have a DBA apply the DDL of the README and GRANT USAGE ON SCHEMA " + s.schema + " TO " + s.user
                    + "; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " + s.schema + " TO " + s.user
                    + "; GRANT USAGE ON ALL SEQUENCES IN SCHEMA " + s.schema + " TO " + s.user, e);
        }
        if (isConnectionLoss(e)) {
            return new TransportUnavailableException(s.where() + " is not reachable while " + action + " (" + root + "): " + s.hint(), e);
        }
        return new CourierException(s.where() + ": " + action + " failed (" + root + ")", e);
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return e == t || e.getMessage() == null ? m : e.getMessage();
    }
}
