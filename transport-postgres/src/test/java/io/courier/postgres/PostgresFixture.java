package io.courier.postgres;

import io.courier.conformance.RepositoryBrokers;
import io.courier.conformance.UrlFixture;
import java.sql.Connection;
import java.sql.DriverManager;

/**
 * The conformance fixture of {@code postgres://}: the PostgreSQL 15 that {@code scripts/brokers} runs on
 * 127.0.0.1:5432 (database {@code test}, Courier's tables in schema {@code courier_test}); the suite's TCP proxy in
 * front of it for cuts; restarts with {@code scripts/brokers restart postgres}; the plain sender inherited
 * ({@link PostgresPlainClient}: a bare JDBC INSERT of group, payload and headers only).
 */
final class PostgresFixture extends UrlFixture {
    static final String HOST = "127.0.0.1";
    static final int PORT = 5432;
    static final String SCHEMA = "courier_test";
    static final String URL = "postgres://postgres@" + HOST + ":" + PORT + "/test?schema=" + SCHEMA;
    static final String JDBC = "jdbc:postgresql://" + HOST + ":" + PORT + "/test?user=postgres";

    PostgresFixture() {
        super(URL, "'" + RepositoryBrokers.script() + "' restart postgres", true);
    }

    @Override
    public void restartBroker() throws java.io.IOException, InterruptedException {
        super.restartBroker();
        requireBroker();
    }

    static void requireBroker() { RepositoryBrokers.awaitListening("postgres", HOST, PORT); }

    static Connection jdbc() throws java.sql.SQLException { return DriverManager.getConnection(JDBC); }
}
