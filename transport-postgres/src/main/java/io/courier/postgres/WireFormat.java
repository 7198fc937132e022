package io.courier.postgres;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.courier.Destination;
import io.courier.Message;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.LinkedHashMap;
import java.util.Map;

/** A message as a row of {@code courier_messages}: payload as {@code bytea}, headers as a {@code jsonb} object. */
final class WireFormat {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() {};

    private WireFormat() {}

    static String insertSql(String schema) {
        return "INSERT INTO " + schema + ".courier_messages (id, grp, member, direct, headers, payload, ordering_key, visible_at) "
                + "VALUES (?, ?, ?, ?, CAST(? AS jsonb), ?, ?, GREATEST(now(), COALESCE(?, now()))) ON CONFLICT (grp, id) DO NOTHING";
    }

    static void bind(PreparedStatement ps, Message m) throws SQLException {
        Destination d = m.destination();
        ps.setString(1, m.id());
        ps.setString(2, d.group());
        ps.setString(3, d.member());
        ps.setBoolean(4, d.isDirect());
        ps.setString(5, headersJson(m.headers()));
        ps.setBytes(6, m.payload());
        ps.setString(7, m.orderingKey());
        ps.setTimestamp(8, m.notBefore() == null ? null : Timestamp.from(m.notBefore()));
    }

    static String headersJson(Map<String, String> headers) {
        try {
            return JSON.writeValueAsString(headers);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Size as Courier counts it: payload plus header names and values (UTF-8). */
    static long size(Message m) {
        long n = m.payload().length;
        for (Map.Entry<String, String> h : m.headers().entrySet()) {
            n += h.getKey().length() + h.getValue().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        }
        return n;
    }

    /** Columns: seq, id, grp, member, direct, headers, payload, ordering_key, attempts. */
    static Message fromRow(ResultSet rs) throws SQLException {
        String group = rs.getString("grp");
        String member = rs.getString("member");
        boolean direct = rs.getBoolean("direct");
        Destination d = member == null ? Destination.any(group) : direct ? Destination.uni(group, member) : Destination.sticky(group, member);
        Message.Builder b = Message.to(d).id(rs.getString("id"));
        byte[] payload = rs.getBytes("payload");
        b.payload(payload == null ? new byte[0] : payload);
        String key = rs.getString("ordering_key");
        if (key != null) b.orderingKey(key);
        String json = rs.getString("headers");
        if (json != null && !json.isEmpty()) {
            try {
                for (Map.Entry<String, Object> e : JSON.readValue(json, MAP).entrySet()) {
                    Object v = e.getValue();
                    String value = v == null ? "" : v instanceof String s ? s : JSON.writeValueAsString(v);
                    try {
                        b.header(e.getKey(), value);
                    } catch (RuntimeException invalidName) {
                        // a row written by plain SQL may carry a header name Courier cannot carry: skipped, not fatal
                    }
                }
            } catch (Exception e) {
                throw new SQLException("headers of message " + rs.getString("id") + " are not a JSON object", "22000", e);
            }
        }
        return b.build();
    }
}
