package io.courier.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.courier.Courier;
import io.courier.Destination;
import io.courier.Message;
import java.time.Instant;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;

/**
 * The JSON form of a message in the hub's API: {@code id}, {@code destination}, {@code headers} (string to
 * string), {@code payload} (base64), optional {@code key} and {@code notBefore} (epoch milliseconds).
 */
final class Wire {
    private Wire() {}

    static ObjectNode encode(Message m) {
        ObjectNode o = HubClient.JSON.createObjectNode();
        o.put("id", m.id());
        o.put("destination", m.destination().toString());
        ObjectNode h = o.putObject("headers");
        m.headers().forEach(h::put);
        o.put("payload", Base64.getEncoder().encodeToString(m.payload()));
        if (m.orderingKey() != null) o.put("key", m.orderingKey());
        if (m.notBefore() != null) o.put("notBefore", m.notBefore().toEpochMilli());
        return o;
    }

    /** About how many bytes {@link #encode} takes in a request body. */
    static long estimate(Message m) { return Courier.sizeOf(m) * 4 / 3 + 64L * m.headers().size() + 256; }

    static Message decode(JsonNode d) {
        Message.Builder b = Message.to(Destination.parse(d.get("destination").asText())).id(d.get("id").asText());
        JsonNode headers = d.get("headers");
        if (headers != null) {
            for (Iterator<Map.Entry<String, JsonNode>> it = headers.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> h = it.next();
                b.header(h.getKey(), h.getValue().asText());
            }
        }
        b.payload(Base64.getDecoder().decode(d.path("payload").asText("")));
        if (d.hasNonNull("key")) b.orderingKey(d.get("key").asText());
        if (d.hasNonNull("notBefore")) b.notBefore(Instant.ofEpochMilli(d.get("notBefore").asLong()));
        return b.build();
    }
}
