package io.courier.nats;

import io.courier.spi.Parameter;
import io.courier.spi.Parameter.Kind;
import io.courier.spi.TransportUrl;
import java.time.Duration;
import java.util.List;

/**
 * The parameters of {@code nats://host:4222[,host:4222][?name=value&…]}, declared once with their defaults and
 * documentation (the README table is this list). {@code user:password@} in the URL authenticates with a user and
 * password, a bare {@code token@} with a token; neither ever appears in a message or a log.
 */
final class NatsSettings {
    static final Parameter CONNECT_TIMEOUT = Parameter.of("connect-timeout", Kind.DURATION, "5s",
            "how long opening the transport waits for the server before failing with TransportUnavailableException");
    static final Parameter SEND_TIMEOUT = Parameter.of("send-timeout", Kind.DURATION, "10s",
            "a send without its PubAck by then fails with TransportUnavailableException (it may still have been stored: resend, the stream deduplicates by id)");
    static final Parameter RECONNECT_WAIT = Parameter.of("reconnect-wait", Kind.DURATION, "250ms",
            "pause between reconnect attempts (the client reconnects forever)");
    static final Parameter RECONNECT_BUFFER = new Parameter("reconnect-buffer", Kind.LONG, "8388608",
            "bytes of publishes, acks and pull requests the client buffers while reconnecting; beyond it sends fail at once", v -> Long.parseLong(v) >= 0);
    static final Parameter MAX_ACK_PENDING = new Parameter("max-ack-pending", Kind.INT, "20000",
            "MaxAckPending of a group's shared consumer: unacked messages of the whole group (at least the sum of its members' prefetch)", v -> Integer.parseInt(v) >= 1);
    static final Parameter PARTITIONS = new Parameter("ordering-partitions", Kind.INT, "8",
            "subjects (each with a consumer of MaxAckPending=1) that messages with an ordering key are hashed over: how many keys of a group make progress at once", v -> Integer.parseInt(v) >= 1 && Integer.parseInt(v) <= 256);
    static final Parameter REPLICAS = new Parameter("replicas", Kind.INT, "1",
            "replicas of created streams (1 on a single server, 3 on a cluster)", v -> Integer.parseInt(v) >= 1 && Integer.parseInt(v) <= 5);
    static final Parameter DUPLICATE_WINDOW = Parameter.of("duplicate-window", Kind.DURATION, "2m",
            "window in which created streams drop a resend with the same message id (Nats-Msg-Id)");
    static final Parameter MAX_AGE = Parameter.of("max-age", Kind.DURATION, "0s",
            "MaxAge of created streams; 0s keeps unacked messages until they are acked");

    static final List<Parameter> ALL = List.of(CONNECT_TIMEOUT, SEND_TIMEOUT, RECONNECT_WAIT, RECONNECT_BUFFER, MAX_ACK_PENDING,
            PARTITIONS, REPLICAS, DUPLICATE_WINDOW, MAX_AGE);

    final TransportUrl url;
    final String servers;
    final Duration connectTimeout;
    final Duration sendTimeout;
    final Duration reconnectWait;
    final long reconnectBuffer;
    final int maxAckPending;
    final int partitions;
    final int replicas;
    final Duration duplicateWindow;
    final Duration maxAge;

    NatsSettings(TransportUrl url) {
        this.url = url;
        this.servers = url.hostList(4222);
        this.connectTimeout = url.durationParam(CONNECT_TIMEOUT.name());
        this.sendTimeout = url.durationParam(SEND_TIMEOUT.name());
        this.reconnectWait = url.durationParam(RECONNECT_WAIT.name());
        this.reconnectBuffer = url.longParam(RECONNECT_BUFFER.name());
        this.maxAckPending = url.intParam(MAX_ACK_PENDING.name());
        this.partitions = url.intParam(PARTITIONS.name());
        this.replicas = url.intParam(REPLICAS.name());
        this.duplicateWindow = url.durationParam(DUPLICATE_WINDOW.name());
        this.maxAge = url.durationParam(MAX_AGE.name());
    }

    /** {@code nats://host:port} (or {@code tls://…} for {@code nats+tls://}) for each host, without credentials. */
    String[] serverUrls() {
        String scheme = url.scheme().equals("nats+tls") ? "tls" : "nats";
        return url.hosts().stream().map(h -> scheme + "://" + h.host() + ":" + (h.port() < 0 ? 4222 : h.port())).toArray(String[]::new);
    }

    /** Where, for messages: the servers, never the credentials. */
    String where() { return "NATS at " + servers; }
}
