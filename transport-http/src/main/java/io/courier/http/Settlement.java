package io.courier.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * One queued settlement of a hub lease, as the long-poll and the push receiver batch them into one
 * {@code POST /v1/settle}: {@code kind} is {@code ack}, {@code nack} (millis = delay), {@code release} (given back
 * unseen by any handler: no attempt) or {@code extend} (millis = extension).
 */
record Settlement(String kind, String lease, long millis) {

    /** The body of {@code POST /v1/settle} for a batch; {@code session} may be null (a push receiver has none). */
    static ObjectNode body(String session, List<Settlement> batch) {
        ObjectNode body = HubClient.JSON.createObjectNode();
        if (session != null) body.put("session", session);
        ArrayNode ack = body.putArray("ack"), nack = body.putArray("nack"), release = body.putArray("release"), extend = body.putArray("extend");
        for (Settlement s : batch) {
            switch (s.kind) {
                case "ack" -> ack.add(s.lease);
                case "nack" -> nack.addObject().put("lease", s.lease).put("delayMs", Math.max(0, s.millis));
                case "release" -> release.add(s.lease);
                default -> extend.addObject().put("lease", s.lease).put("ms", Math.max(1, s.millis));
            }
        }
        return body;
    }
}
