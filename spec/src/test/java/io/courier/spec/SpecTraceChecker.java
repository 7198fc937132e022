package io.courier.spec;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Trace validation: replays a {@code SpecTrace} (a simulation run written as the actions of Courier.tla) against
 * an executable transcription of the specification: each line must be an enabled action of the spec (its guard
 * holds in the replayed state) with the outcome the spec gives (a settlement is accepted exactly when the spec
 * accepts it), and after each line the invariants must hold. Java mirror of the TLA+ actions, one to one:
 *
 * <table>
 * <tr><th>trace line</th><th>Courier.tla</th></tr>
 * <tr><td>send</td><td>Send</td></tr>
 * <tr><td>lease</td><td>Expire (inferred: the engine expires lazily, when the lease's end has passed) then Lease</td></tr>
 * <tr><td>handle</td><td>Handle</td></tr>
 * <tr><td>ack</td><td>Ack (AckAccepted)</td></tr>
 * <tr><td>nack</td><td>Nack (an inferred Expire when the engine refused a lease whose end has passed); Mature is
 *     the {@code at=} time</td></tr>
 * <tr><td>dead-letter</td><td>DeadLetter</td></tr>
 * <tr><td>release</td><td>Crash / Disconnect (Released)</td></tr>
 * </table>
 *
 * A violation is reported as {@link Violation} naming the invariant or guard and the line.
 */
final class SpecTraceChecker {

    /** A trace line that is not a step of the specification, or a state that breaks an invariant. */
    static final class Violation extends RuntimeException {
        final String invariant;

        Violation(String invariant, int line, String text, String why) {
            super(invariant + " at line " + line + " '" + text + "': " + why);
            this.invariant = invariant;
        }
    }

    /** Counts of a validated trace. */
    record Stats(int lines, int messages, int leases, int expiriesInferred, int staleSettlements, int deadLetters, int staleDeadLetters,
                 int deadLetteredTwiceOrAcked) {}

    private static final class Msg {
        final String id;
        final long seq;
        final String key;
        final String member;   // member of a direct/sticky destination, null for any@group
        final boolean sticky;
        String state = "pending";
        long availableAt;
        int attempts;
        long tok;
        String leaseOwner;
        long leaseUntil;
        final Set<Long> handledTokens = new HashSet<>();
        boolean inDlq;
        int dlqCopies;

        Msg(String id, long seq, String key, String member, boolean sticky, long availableAt) {
            this.id = id;
            this.seq = seq;
            this.key = key;
            this.member = member;
            this.sticky = sticky;
            this.availableAt = availableAt;
        }

        boolean done() { return state.equals("acked") || state.equals("dead"); }
    }

    private record Lease(String msg, String owner, int attempt) {}

    private final int maxAttempts;
    private final Map<String, Msg> msgs = new LinkedHashMap<>();
    private final Map<Long, Lease> leases = new HashMap<>();
    private long lastAt = Long.MIN_VALUE;
    private int lineNo;
    private String line;
    private int leaseCount, expiries, stale, deadLetters, staleDeadLetters;

    private SpecTraceChecker(int maxAttempts) { this.maxAttempts = maxAttempts; }

    /** Validates a whole trace; {@code complete}: the run ended quiet, so every message must be settled (liveness). */
    static Stats check(List<String> lines, int maxAttempts, boolean complete) {
        SpecTraceChecker c = new SpecTraceChecker(maxAttempts);
        for (String l : lines) {
            c.lineNo++;
            c.line = l;
            if (l.isBlank()) continue;
            c.step(l.trim().split(" "));
            c.invariants();
        }
        if (complete) {
            for (Msg m : c.msgs.values()) {
                if (!m.done()) c.fail("EventuallySettled", "run ended with " + m.id + " " + m.state + ", neither acked nor dead-lettered");
            }
        }
        int twice = 0;
        for (Msg m : c.msgs.values()) if (m.dlqCopies > 1 || (m.dlqCopies > 0 && m.state.equals("acked"))) twice++;
        return new Stats(lines.size(), c.msgs.size(), c.leaseCount, c.expiriesInferred(), c.stale, c.deadLetters, c.staleDeadLetters, twice);
    }

    private int expiriesInferred() { return expiries; }

    private void fail(String invariant, String why) { throw new Violation(invariant, lineNo, line, why); }

    private static String field(String[] f, String name) {
        for (String s : f) if (s.startsWith(name + "=")) return s.substring(name.length() + 1);
        throw new IllegalArgumentException("no " + name + "= in " + String.join(" ", f));
    }

    private static boolean flag(String[] f, String name) {
        for (String s : f) if (s.equals(name)) return true;
        return false;
    }

    private Msg msg(String id) {
        Msg m = msgs.get(id);
        if (m == null) fail("NothingLost", "message " + id + " was never sent (accepted)");
        return m;
    }

    private static String memberOf(String owner) {
        int i = owner.indexOf('#');
        return i < 0 ? owner : owner.substring(0, i);
    }

    private void step(String[] f) {
        long at = Long.parseLong(f[0]);
        if (at < lastAt) fail("Time", "time goes back from " + lastAt);
        lastAt = at;
        switch (f[1]) {
            case "send" -> {
                String id = f[2];
                if (msgs.containsKey(id)) fail("Send", id + " sent twice");
                String key = field(f, "key");
                String dest = field(f, "dest");
                int slash = dest.indexOf('/');
                String member = slash < 0 ? null : dest.substring(slash + 1);
                msgs.put(id, new Msg(id, msgs.size() + 1, key.equals("-") ? null : key, member, dest.startsWith("any@") && member != null,
                        Long.parseLong(field(f, "at"))));
            }
            case "lease" -> {
                String owner = f[2];
                Msg m = msg(f[3]);
                long token = Long.parseLong(field(f, "token"));
                int attempt = Integer.parseInt(field(f, "attempt"));
                if (m.state.equals("leased") && m.leaseUntil <= at) expire(m); // Expire, inferred
                if (!m.state.equals("pending")) {
                    fail("OneLiveLease", m.id + " is " + m.state + (m.state.equals("leased") ? " by " + m.leaseOwner + " until " + m.leaseUntil : ""));
                }
                if (m.availableAt > at) fail("Lease", m.id + " not available before " + m.availableAt + " (nack delay / not-before)");
                if (m.key != null) {
                    for (Msg o : msgs.values()) {
                        if (o.seq < m.seq && m.key.equals(o.key) && !o.done()) {
                            fail("KeyOrder", m.id + " leased while the older " + o.id + " of key " + m.key + " is " + o.state);
                        }
                    }
                }
                // ForMember: a direct message only to its member; a sticky one to its member while it is live, and in a
                // Simulation every member is always live (a crash or disconnect registers the member again at once)
                if (m.member != null && !m.member.equals(memberOf(owner))) {
                    fail("Lease", m.id + " is for member " + m.member + (m.sticky ? " (sticky, live)" : " only") + ", leased to " + owner);
                }
                if (attempt != m.attempts + 1) fail("AttemptsBounded", m.id + " leased as attempt " + attempt + " after " + m.attempts + " deliveries");
                if (token <= m.tok || leases.containsKey(token)) fail("Lease", "token " + token + " is not new");
                m.state = "leased";
                m.attempts = attempt;
                m.tok = token;
                m.leaseOwner = owner;
                m.leaseUntil = Long.parseLong(field(f, "until"));
                leases.put(token, new Lease(m.id, owner, attempt));
                leaseCount++;
            }
            case "handle" -> {
                Msg m = msg(f[3]);
                Lease d = delivery(f, m);
                if (d.attempt > maxAttempts) fail("AttemptsBounded", m.id + " handled at attempt " + d.attempt + " > maxAttempts=" + maxAttempts);
                m.handledTokens.add(Long.parseLong(field(f, "token")));
            }
            case "ack" -> {
                Msg m = msg(f[3]);
                delivery(f, m);
                boolean accepted = settle(f, m, "Ack");
                if (accepted) release(m, "acked");
            }
            case "nack" -> {
                Msg m = msg(f[3]);
                Lease d = delivery(f, m);
                long token = Long.parseLong(field(f, "token"));
                boolean accepted = flag(f, "accepted");
                if (d.attempt >= maxAttempts) fail("Nack", m.id + " nacked at attempt " + d.attempt + ": at maxAttempts it must be dead-lettered");
                boolean current = m.state.equals("leased") && m.tok == token;
                if (current && !accepted && m.leaseUntil <= at) {
                    expire(m); // the engine had expired the lease (lazily, in a poll): the spec's Expire came first
                    current = false;
                }
                if (current != accepted) {
                    fail("StaleSettlementInert", "engine " + (accepted ? "accepted" : "refused") + " a nack the spec " + (current ? "accepts" : "refuses")
                            + " (" + m.id + " " + m.state + " token " + m.tok + ")");
                }
                if (accepted) {
                    release(m, "pending");
                    m.availableAt = at + Long.parseLong(field(f, "delay"));
                } else {
                    stale++;
                }
            }
            case "dead-letter" -> {
                Msg m = msg(f[3]);
                Lease d = delivery(f, m);
                if (flag(f, "limit") && d.attempt < maxAttempts) fail("DeadLetter", m.id + " dead-lettered for the limit at attempt " + d.attempt);
                String[] p = field(f, "payload").split("/");
                String[] h = field(f, "headers").split("/");
                if (!p[0].equals(p[1]) || !h[0].equals(h[1])) fail("DeadLetterIntact", "the dead letter of " + m.id + " changed payload or headers");
                m.inDlq = true;
                m.dlqCopies++;
                deadLetters++;
                if (settle(f, m, "DeadLetter")) release(m, "dead");
                else staleDeadLetters++;
            }
            case "release" -> {
                String owner = f[2];
                for (Msg m : msgs.values()) {
                    if (m.state.equals("leased") && owner.equals(m.leaseOwner)) {
                        release(m, "pending");
                        m.availableAt = at;
                    }
                }
            }
            default -> fail("Trace", "unknown action " + f[1]);
        }
    }

    /** The delivery a settlement or a handler run refers to: a lease the trace made, of this message and owner. */
    private Lease delivery(String[] f, Msg m) {
        long token = Long.parseLong(field(f, "token"));
        Lease d = leases.get(token);
        if (d == null || !d.msg.equals(m.id) || !d.owner.equals(f[2])) fail("Delivery", "no lease of " + m.id + " to " + f[2] + " with token " + token);
        if (hasAttempt(f) && Integer.parseInt(field(f, "attempt")) != d.attempt) {
            fail("Delivery", "attempt differs from the lease's " + d.attempt);
        }
        return d;
    }

    private static boolean hasAttempt(String[] f) {
        for (String s : f) if (s.startsWith("attempt=")) return true;
        return false;
    }

    /** AckAccepted: the token is the message's latest and the message is live; the engine must agree. */
    private boolean settle(String[] f, Msg m, String action) {
        long token = Long.parseLong(field(f, "token"));
        boolean accepted = flag(f, "accepted");
        boolean spec = (m.state.equals("pending") || m.state.equals("leased")) && m.tok == token;
        if (spec != accepted) {
            fail("StaleSettlementInert", "engine " + (accepted ? "accepted" : "refused") + " a " + action + " the spec " + (spec ? "accepts" : "refuses")
                    + " (" + m.id + " " + m.state + ", latest token " + m.tok + ")");
        }
        if (!accepted) stale++;
        return accepted;
    }

    private void expire(Msg m) {
        m.state = "pending";
        m.availableAt = Math.min(m.availableAt, m.leaseUntil);
        m.leaseOwner = null;
        expiries++;
    }

    private static void release(Msg m, String to) {
        m.state = to;
        m.leaseOwner = null;
    }

    private void invariants() {
        Map<String, List<Msg>> leasedByKey = new HashMap<>();
        for (Msg m : msgs.values()) {
            if (m.state.equals("dead") && !m.inDlq) fail("NothingLost", m.id + " dead without a dead letter");
            if (m.handledTokens.size() > maxAttempts) fail("AttemptsBounded", m.id + " handled in " + m.handledTokens.size() + " attempts");
            if (m.state.equals("leased") && m.key != null) leasedByKey.computeIfAbsent(m.key, k -> new ArrayList<>()).add(m);
        }
        for (List<Msg> l : leasedByKey.values()) {
            if (l.size() > 1) fail("KeyOrder", "key " + l.get(0).key + " has " + l.size() + " messages leased at once");
        }
    }
}
