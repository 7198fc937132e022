package io.courier.rabbitmq;

import com.rabbitmq.client.BlockedListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.TopologyRecoveryException;
import com.rabbitmq.client.impl.ForgivingExceptionHandler;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Logs a connection's state changes: lost, recovering, recovered, blocked and unblocked by resource alarms. */
final class ConnectionLog implements RecoveryListener, BlockedListener {
    private static final Logger log = LoggerFactory.getLogger(ConnectionLog.class);
    private final String role;
    private final String where;

    private ConnectionLog(String role, String where) {
        this.role = role;
        this.where = where;
    }

    static void attach(Connection c, String role, RabbitSettings s) {
        ConnectionLog l = new ConnectionLog(role, s.where());
        c.addBlockedListener(l);
        if (c instanceof Recoverable r) r.addRecoveryListener(l);
        c.addShutdownListener(cause -> {
            if (!cause.isInitiatedByApplication()) {
                String reason = Errors.closeReason(cause);
                log.warn("transport=rabbitmq {} connection to {} lost ({}); recovering automatically", role, l.where,
                        reason != null ? reason : cause.getMessage());
            }
        });
    }

    /**
     * amqp-client's exception handler, with recovery failures logged as one WARN line each (the client retries every
     * recovery-interval) instead of an ERROR with a stack trace per attempt.
     */
    static final class Handler extends ForgivingExceptionHandler {
        @Override
        public void handleConnectionRecoveryException(Connection conn, Throwable e) {
            log.warn("transport=rabbitmq connection recovery attempt failed ({}); retrying", e.toString());
        }

        @Override
        public void handleTopologyRecoveryException(Connection conn, com.rabbitmq.client.Channel ch, TopologyRecoveryException e) {
            log.warn("transport=rabbitmq topology recovery: {}", e.getMessage());
        }
    }

    @Override
    public void handleRecoveryStarted(Recoverable recoverable) {
        log.info("transport=rabbitmq {} connection to {}: recovery started", role, where);
    }

    @Override
    public void handleRecovery(Recoverable recoverable) {
        log.info("transport=rabbitmq {} connection to {} recovered (channels, consumers and topology re-established)", role, where);
    }

    @Override
    public void handleBlocked(String reason) {
        log.warn("transport=rabbitmq {} connection to {} blocked by the broker ({}): publishes wait until the alarm clears", role, where, reason);
    }

    @Override
    public void handleUnblocked() {
        log.info("transport=rabbitmq {} connection to {} unblocked", role, where);
    }
}
