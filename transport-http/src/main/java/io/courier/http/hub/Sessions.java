package io.courier.http.hub;

import io.courier.SubscriptionHealth;
import io.courier.mem.MemEngine;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pollers of the hub. A session is one client receiver (its id is chosen by the client); it owns the leases of
 * the deliveries it received. A session ends, and its leases are released at once, when the client closes it, when
 * it has sent nothing for the session timeout, or when a new session of the same group and member starts (a member
 * that reconnects replaces its old connection instead of competing with it).
 */
final class Sessions {
    private static final Logger log = LoggerFactory.getLogger(Sessions.class);

    /** One poller. */
    static final class Session {
        final String id;
        final String group;
        final String member;
        final AtomicInteger polling = new AtomicInteger();
        volatile long lastSeen = System.currentTimeMillis();
        volatile boolean closed;

        Session(String id, String group, String member) {
            this.id = id;
            this.group = group;
            this.member = member;
        }

        void touch() { lastSeen = System.currentTimeMillis(); }
    }

    private final MemEngine engine;
    private final long timeoutMillis;
    private final ConcurrentHashMap<String, Session> byId = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Session> byMember = new ConcurrentHashMap<>();

    private final Consumer<String> released;

    /** {@code released} is told the group of every session that ends (its leases are back, its polls must end). */
    Sessions(MemEngine engine, long timeoutMillis, Consumer<String> released) {
        this.engine = engine;
        this.timeoutMillis = timeoutMillis;
        this.released = released;
    }

    /**
     * The session {@code id} of this group and member, started if new. Throws {@link IllegalArgumentException} when
     * the id belongs to another group or member.
     */
    Session open(String id, String group, String member) {
        boolean[] created = {false};
        Session s = byId.compute(id, (k, cur) -> {
            if (cur != null && !cur.closed) return cur;
            created[0] = true;
            return new Session(k, group, member);
        });
        if (!s.group.equals(group) || !Objects.equals(s.member, member)) {
            throw new IllegalArgumentException("session '" + id + "' belongs to group '" + s.group + "' member '" + s.member
                    + "': use a new session id per receiver");
        }
        s.touch();
        if (created[0]) {
            engine.register(group, member, id);
            if (member != null) {
                Session old = byMember.put(group + "/" + member, s);
                if (old != null && old != s) close(old, "replaced by session " + id + " of the same member");
            }
            log.info("session started id={} group={} member={}", id, group, member);
        }
        return s;
    }

    /** Marks activity of a session (settlements and heartbeats keep it alive). No-op for unknown ids. */
    void touch(String id) {
        Session s = id == null ? null : byId.get(id);
        if (s != null) s.touch();
    }

    /** Ends a session (client close); its leases go back to the group at once. Unknown ids are ignored. */
    boolean close(String id) {
        Session s = byId.get(id);
        if (s == null) return false;
        close(s, "closed by the client");
        return true;
    }

    private void close(Session s, String why) {
        synchronized (s) {
            if (s.closed) return;
            s.closed = true;
        }
        byId.remove(s.id, s);
        if (s.member != null) byMember.remove(s.group + "/" + s.member, s);
        engine.unregister(s.group, s.member, s.id);
        released.accept(s.group);
        log.info("session ended id={} group={} member={} ({}): its leases are released", s.id, s.group, s.member, why);
    }

    /** Ends sessions idle for longer than the timeout. Called periodically. */
    void reap() {
        long now = System.currentTimeMillis();
        for (Session s : List.copyOf(byId.values())) {
            if (s.polling.get() == 0 && now - s.lastSeen > timeoutMillis) close(s, "no request for " + timeoutMillis + " ms");
        }
    }

    /** Live sessions. */
    int size() { return byId.size(); }

    /**
     * One entry per live session, for {@code GET /v1/health}: a poller the hub still holds is running; the time since
     * its last request stands for the time since its last receive.
     */
    List<SubscriptionHealth> health() {
        long now = System.currentTimeMillis();
        List<SubscriptionHealth> out = new java.util.ArrayList<>(byId.size());
        for (Session s : byId.values()) {
            out.add(new SubscriptionHealth(s.group, s.member, SubscriptionHealth.State.RUNNING, null,
                    java.time.Duration.ofMillis(Math.max(0, now - s.lastSeen))));
        }
        return out;
    }
}
