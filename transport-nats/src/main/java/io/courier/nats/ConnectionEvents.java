package io.courier.nats;

import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.ErrorListener;
import io.nats.client.Message;
import io.nats.client.JetStreamSubscription;
import io.nats.client.support.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes jnats' connection life visible (C12): disconnects at WARN, reconnects and the first connect at INFO, client
 * errors at WARN. jnats reconnects by itself; this only logs. Server URLs are logged without credentials.
 */
final class ConnectionEvents implements ConnectionListener, ErrorListener {
    private static final Logger log = LoggerFactory.getLogger(ConnectionEvents.class);
    private final String where;
    private volatile long downSince;
    private volatile boolean down;

    ConnectionEvents(String where) { this.where = where; }

    @Override
    public void connectionEvent(Connection conn, Events type) {
        switch (type) {
            case CONNECTED -> log.info("nats connected transport=nats {}", where);
            case DISCONNECTED -> {
                downSince = System.currentTimeMillis();
                down = true;
                log.warn("nats connection lost transport=nats {}; the client reconnects by itself", where);
            }
            case RECONNECTED -> {
                down = false;
                log.info("nats reconnected transport=nats {} after {} ms", where,
                    downSince == 0 ? 0 : System.currentTimeMillis() - downSince);
            }
            case RESUBSCRIBED -> log.info("nats subscriptions restored transport=nats {}", where);
            case CLOSED -> log.info("nats connection closed transport=nats {}", where);
            case LAME_DUCK -> log.warn("nats server entered lame-duck mode transport=nats {}: it is shutting down, the client will move", where);
            default -> log.debug("nats connection event {} {}", type, where);
        }
    }

    @Override
    public void errorOccurred(Connection conn, String error) {
        log.warn("nats server error transport=nats {}: {}", where, error);
    }

    @Override
    public void exceptionOccurred(Connection conn, Exception exp) {
        if (down) {
            log.debug("nats reconnect attempt failed {}: {}", where, exp.toString()); // the disconnect was logged once
            return;
        }
        log.warn("nats client exception transport=nats {}: {}", where, exp.toString());
    }

    @Override
    public void slowConsumerDetected(Connection conn, io.nats.client.Consumer consumer) {
        log.warn("nats slow consumer transport=nats {}: the client dropped messages of a subscription (they are redelivered after the ack wait)", where);
    }

    @Override
    public void messageDiscarded(Connection conn, Message msg) {
        if (msg.getSubject().startsWith("$JS.API.CONSUMER.MSG.NEXT.")) {
            log.debug("pull request discarded while closing or reconnecting {}", where); // harmless: the receiver asks again
        } else {
            log.warn("nats message discarded by the client transport=nats {} subject={}", where, msg.getSubject());
        }
    }

    @Override
    public void pullStatusWarning(Connection conn, JetStreamSubscription sub, Status status) {
        log.debug("nats pull status {} {}", status, where);
    }
}
