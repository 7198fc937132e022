package io.courier.postgres;

import io.courier.InvalidUrlException;
import io.courier.spi.Parameter;
import io.courier.spi.Parameter.Kind;
import io.courier.spi.TransportUrl;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

/**
 * The {@code postgres://} URL and its parameters, declared once with defaults and documentation, and the JDBC
 * connections built from them. The password is kept here only to open connections; it never appears in a message.
 */
final class PgSettings {
    static final Parameter SCHEMA = new Parameter("schema", Kind.STRING, "courier",
            "schema of Courier's tables (created on demand): lower-case letters, digits and '_', at most 40",
            v -> v.matches("[a-z_][a-z0-9_]{0,39}"));
    static final Parameter CONNECT_TIMEOUT = Parameter.of("connect-timeout", Kind.DURATION, "10s",
            "TCP connect and login timeout of each connection");
    static final Parameter SEND_TIMEOUT = Parameter.of("send-timeout", Kind.DURATION, "30s",
            "how long a send is retried while PostgreSQL is unreachable before it fails with TransportUnavailableException");
    static final Parameter POLL_INTERVAL = new Parameter("poll-interval", Kind.DURATION, "500ms",
            "longest wait of an idle receiver between two claims when no NOTIFY came (NOTIFY is not durable; delayed messages)",
            v -> !Parameter.parseDuration(v).isNegative() && Parameter.parseDuration(v).toMillis() >= 10);
    static final Parameter SENDERS = new Parameter("senders", Kind.INT, "2",
            "connections that insert sends; concurrent sends are grouped into one INSERT and one commit on each",
            v -> Integer.parseInt(v) >= 1 && Integer.parseInt(v) <= 32);
    static final Parameter MAX_BATCH = new Parameter("max-batch", Kind.INT, "500",
            "most messages one group commit inserts", v -> Integer.parseInt(v) >= 1 && Integer.parseInt(v) <= 10_000);
    static final Parameter MAX_PAYLOAD = new Parameter("max-payload-bytes", Kind.LONG, "1048576",
            "largest message (payload plus headers) a send accepts", v -> Long.parseLong(v) >= 1024 && Long.parseLong(v) <= 256L << 20);
    static final Parameter SSL_MODE = new Parameter("sslmode", Kind.STRING, "prefer",
            "the JDBC driver's sslmode: disable, allow, prefer, require, verify-ca, verify-full",
            v -> List.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full").contains(v));
    static final List<Parameter> ALL = List.of(SCHEMA, CONNECT_TIMEOUT, SEND_TIMEOUT, POLL_INTERVAL, SENDERS, MAX_BATCH, MAX_PAYLOAD, SSL_MODE);

    final String host;
    final int port;
    final String database;
    final String user;
    private final String password;
    final String schema;
    final Duration connectTimeout;
    final Duration sendTimeout;
    final Duration pollInterval;
    final int senders;
    final int maxBatch;
    final long maxPayload;
    final String sslMode;
    final String redactedUrl;

    PgSettings(TransportUrl url) {
        if (url.hosts().size() != 1) throw new InvalidUrlException(url.scheme() + ":// takes one host, e.g. postgres://user:password@127.0.0.1:5432/database, got: " + url.redacted());
        this.host = url.hosts().get(0).host();
        this.port = url.hosts().get(0).port() < 0 ? 5432 : url.hosts().get(0).port();
        String path = url.path().startsWith("/") ? url.path().substring(1) : url.path();
        if (path.contains("/")) throw new InvalidUrlException("the path of a postgres:// URL is the database name only, got '" + path + "' in " + url.redacted());
        this.user = url.user() == null || url.user().isEmpty() ? "postgres" : url.user();
        this.database = path.isEmpty() ? user : path;
        this.password = url.password();
        this.schema = url.param(SCHEMA.name());
        this.connectTimeout = url.durationParam(CONNECT_TIMEOUT.name());
        this.sendTimeout = url.durationParam(SEND_TIMEOUT.name());
        this.pollInterval = url.durationParam(POLL_INTERVAL.name());
        this.senders = url.intParam(SENDERS.name());
        this.maxBatch = url.intParam(MAX_BATCH.name());
        this.maxPayload = url.longParam(MAX_PAYLOAD.name());
        this.sslMode = url.param(SSL_MODE.name());
        this.redactedUrl = url.redacted();
    }

    /** Where, for messages: never the password. */
    String where() { return "PostgreSQL at " + host + ":" + port + " (database " + database + ", user " + user + ")"; }

    String hint() {
        return host.equals("127.0.0.1") || host.equals("localhost") ? "is it running? Locally: scripts/brokers up postgres" : "is the host right and reachable?";
    }

    /** Opens one connection, autocommit on. */
    Connection connect(String purpose) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        if (password != null) p.setProperty("password", password);
        int connectSeconds = (int) Math.max(1, connectTimeout.toSeconds());
        p.setProperty("connectTimeout", Integer.toString(connectSeconds));
        p.setProperty("loginTimeout", Integer.toString(connectSeconds));
        p.setProperty("socketTimeout", "60"); // above any statement of Courier's and the listener's wait
        p.setProperty("tcpKeepAlive", "true");
        p.setProperty("reWriteBatchedInserts", "true");
        p.setProperty("sslmode", sslMode);
        p.setProperty("ApplicationName", "courier-" + purpose);
        Connection c = new org.postgresql.Driver().connect("jdbc:postgresql://" + host + ":" + port + "/" + database, p);
        if (c == null) throw new SQLException("the PostgreSQL driver refused the JDBC URL", "08001");
        return c;
    }
}
