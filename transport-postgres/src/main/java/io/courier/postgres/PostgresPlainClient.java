package io.courier.postgres;

import io.courier.spi.TransportUrl;
import io.courier.spi.support.PlainClient;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.Map;
import java.util.Set;

/**
 * A plain JDBC {@code INSERT} of group, payload and headers only (no id, no Courier column), as an application that
 * writes to Courier's table without Courier would, into {@code <schema>.courier_messages} of the URL's database
 * (the URL's {@code schema}, user and password apply).
 */
public final class PostgresPlainClient implements PlainClient {
    @Override public Set<String> schemes() { return Set.of("postgres", "postgresql"); }

    @Override
    public void send(String url, String group, byte[] payload, Map<String, String> headers) throws Exception {
        PgSettings s = new PgSettings(TransportUrl.parse(url).validate(new PostgresProvider().parameters()));
        try (Connection c = s.connect("plain-client"); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO " + s.schema + ".courier_messages (grp, payload, headers) VALUES (?, ?, CAST(? AS jsonb))")) {
            ps.setString(1, group);
            ps.setBytes(2, payload);
            ps.setString(3, new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(headers));
            ps.executeUpdate();
        }
    }
}
