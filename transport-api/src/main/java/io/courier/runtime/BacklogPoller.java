package io.courier.runtime;

import io.courier.spi.Admin;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backlog gauge of each subscribed group, where the broker can tell: every {@code interval} it asks the
 * transport's {@link Admin#stats} for the backlog of each group {@code groups} names and hands it to
 * {@link Telemetry#backlog} (unknown when the broker cannot tell or the call fails). Runs on one virtual thread of its
 * own, so a slow broker call delays nothing else; started only when metrics are on and the transport has an admin.
 */
public final class BacklogPoller implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BacklogPoller.class);

    private final Admin admin;
    private final Telemetry telemetry;
    private final Duration interval;
    private final Supplier<Set<String>> groups;
    private final Thread thread;
    private volatile boolean closed;

    public BacklogPoller(Admin admin, Telemetry telemetry, Duration interval, Supplier<Set<String>> groups, String transport) {
        this.admin = admin;
        this.telemetry = telemetry;
        this.interval = interval;
        this.groups = groups;
        this.thread = Thread.ofVirtual().name("courier-backlog-" + transport).start(this::loop);
    }

    private void loop() {
        while (!closed) {
            LockSupport.parkNanos(interval.toNanos());
            if (closed) return;
            for (String g : groups.get()) {
                if (closed) return;
                telemetry.backlog(g, backlogOf(g));
            }
        }
    }

    /** One poll of one group (package-private for tests). */
    OptionalLong backlogOf(String group) {
        try {
            return admin.stats(group).backlog();
        } catch (RuntimeException e) {
            log.debug("backlog of group={} unknown: {}", group, e.toString());
            return OptionalLong.empty();
        }
    }

    /** Stops polling; returns at once (a broker call in progress finishes on its own). */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
    }
}
