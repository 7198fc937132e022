package io.courier.kafka;

import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the outcome of requests into connection-state log events: one WARN when the cluster stops answering, one
 * INFO when it answers again (kafka-clients reconnects by itself; this only makes the state visible).
 */
final class ConnectionWatch {
    private static final Logger log = LoggerFactory.getLogger(ConnectionWatch.class);
    private final String who;
    private final AtomicLong downSince = new AtomicLong();

    ConnectionWatch(String who) { this.who = who; }

    void failure(Throwable cause) {
        if (downSince.compareAndSet(0, System.currentTimeMillis())) {
            log.warn("kafka connection lost transport=kafka {}: {}; the client reconnects by itself", who, Errors.unwrap(cause).toString());
        }
    }

    void success() {
        long since = downSince.getAndSet(0);
        if (since != 0) {
            log.info("kafka connection restored transport=kafka {} after {} ms", who, System.currentTimeMillis() - since);
        }
    }
}
