package io.courier.postgres;

import io.courier.conformance.ConformanceSuite;
import io.courier.conformance.TransportFixture;
import java.sql.Connection;
import java.sql.Statement;

/**
 * The whole delivery contract against the real PostgreSQL of {@link PostgresFixture}. Before the run (in {@link #fixture()}, before the suite connects), schema
 * {@code courier_test} of earlier runs is dropped, so that each run starts from the on-demand creation of its tables.
 */
class PostgresConformanceTest extends ConformanceSuite {
    @Override
    protected TransportFixture fixture() {
        PostgresFixture.requireBroker();
        try (Connection c = PostgresFixture.jdbc(); Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS " + PostgresFixture.SCHEMA + " CASCADE");
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("could not drop schema " + PostgresFixture.SCHEMA + " of earlier runs", e);
        }
        return new PostgresFixture();
    }
}
