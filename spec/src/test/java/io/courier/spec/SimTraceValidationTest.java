package io.courier.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Destination;
import io.courier.Message;
import io.courier.NonRetryableException;
import io.courier.RetryPolicy;
import io.courier.sim.SimCommandCore;
import io.courier.sim.Simulation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Trace validation: simulation runs with every fault on are recorded as traces of the specification's actions
 * ({@link io.courier.sim.SpecTrace}), written to {@code target/spec-traces/}, read back and replayed by
 * {@link SpecTraceChecker}; a trace edited to break an invariant is rejected.
 */
class SimTraceValidationTest {
    static final int SEEDS = 200;
    static final int MAX_ATTEMPTS = 3;
    /** Every fault, at higher rates than the CLI's, and a short ack deadline so that delays race with lease expiry. */
    static final String FAULTS = SimCommandCore.DEFAULT_FAULTS.replace("drop-ack=0.01", "drop-ack=0.05")
            .replace("crash=0.01", "crash=0.05").replace("disconnect=0.001", "disconnect=0.01");

    static Simulation run(long seed) {
        Simulation sim = Simulation.seed(seed).faults(FAULTS).members(3).prefetch(3)
                .retry(RetryPolicy.exponential(MAX_ATTEMPTS, Duration.ofMillis(20), Duration.ofMillis(500)))
                .ackDeadline(Duration.ofMillis(150)).build();
        for (int i = 1; i <= 24; i++) {
            Destination to = i % 8 == 0 ? Destination.sticky("sim", "m" + (1 + i % 3)) : i % 8 == 4 ? Destination.uni("sim", "m2") : Destination.any("sim");
            Message.Builder b = Message.to(to).id("msg-" + i).payload("order " + i).header("x-order", Integer.toString(i));
            if (i % 3 != 0) b.orderingKey("k" + (i % 2));
            sim.send(b.build());
        }
        sim.run(d -> {
            double r = sim.random().nextDouble();
            if (r < 0.02) throw new NonRetryableException("poison " + d.message().id());
            if (r < 0.35) throw new IllegalStateException("transient failure");
        });
        return sim;
    }

    static Path record(long seed) {
        return run(seed).specTrace().write(Paths.get("target/spec-traces/seed-" + seed + ".trace"));
    }

    @Test
    void tracesOfManySeedsWithFaultsConformToTheSpec() throws IOException {
        long t0 = System.nanoTime();
        long lines = 0, leases = 0, expiries = 0, stale = 0, dead = 0, staleDead = 0, twice = 0;
        for (long seed = 1; seed <= SEEDS; seed++) {
            Path trace = record(seed);
            List<String> l = Files.readAllLines(trace);
            SpecTraceChecker.Stats s;
            try {
                s = SpecTraceChecker.check(l, MAX_ATTEMPTS, true);
            } catch (SpecTraceChecker.Violation v) {
                throw new AssertionError("seed " + seed + " (" + trace + "): " + v.getMessage(), v);
            }
            assertEquals(24, s.messages());
            lines += s.lines();
            leases += s.leases();
            expiries += s.expiriesInferred();
            stale += s.staleSettlements();
            dead += s.deadLetters();
            staleDead += s.staleDeadLetters();
            twice += s.deadLetteredTwiceOrAcked();
        }
        System.out.printf("trace validation: %d seeds accepted (faults %s), %,d actions, %,d leases, %,d expiries inferred, %,d stale settlements, %,d dead letters (%,d from a stale delivery: %,d messages dead-lettered twice or dead-lettered and acked, DeadLetterOnce), %.1f s%n",
                SEEDS, FAULTS, lines, leases, expiries, stale, dead, staleDead, twice, (System.nanoTime() - t0) / 1e9);
        assertTrue(expiries > 0 && stale > 0 && dead > 0, "the faults should exercise expiry, stale settlements and dead letters");
    }

    /** The first line index matching, from a recorded trace. */
    private static int find(List<String> l, String... parts) {
        outer:
        for (int i = 0; i < l.size(); i++) {
            for (String p : parts) if (!l.get(i).contains(p)) continue outer;
            return i;
        }
        return -1;
    }

    /** A recorded trace that has a line with every part, from the first seed that has one. */
    private static List<String> traceWith(String... parts) throws IOException {
        for (long seed = 1; seed <= SEEDS; seed++) {
            List<String> l = Files.readAllLines(record(seed));
            if (find(l, parts) >= 0) return new ArrayList<>(l);
        }
        throw new AssertionError("no seed has a line with " + String.join(" ", parts));
    }

    private static String rejected(List<String> edited, String invariant) {
        SpecTraceChecker.Violation v = assertThrows(SpecTraceChecker.Violation.class, () -> SpecTraceChecker.check(edited, MAX_ATTEMPTS, true));
        assertEquals(invariant, v.invariant, v.getMessage());
        System.out.println("edited trace rejected: " + v.getMessage());
        return v.getMessage();
    }

    @Test
    void staleAckEditedToAcceptedIsRejected() throws IOException {
        List<String> l = traceWith(" ack ", " stale");
        int i = find(l, " ack ", " stale");
        l.set(i, l.get(i).replace(" stale", " accepted"));
        rejected(l, "StaleSettlementInert");
    }

    @Test
    void redeliveryWithoutCountingTheAttemptIsRejected() throws IOException {
        List<String> l = traceWith(" lease ", "attempt=2");
        int i = find(l, " lease ", "attempt=2");
        l.set(i, l.get(i).replace("attempt=2", "attempt=1"));
        rejected(l, "AttemptsBounded");
    }

    @Test
    void keyedMessageLeasedBeforeThePreviousIsAckedIsRejected() throws IOException {
        // msg-1 and msg-5 share key k1: move msg-5's first lease to just after msg-1's first lease
        List<String> l = traceWith(" lease ", " msg-5 ");
        int first = find(l, " lease ", " msg-1 ");
        int later = find(l, " lease ", " msg-5 ");
        String moved = l.remove(later);
        String at = l.get(first).split(" ")[0];
        l.add(first + 1, at + moved.substring(moved.indexOf(' ')));
        rejected(l, "KeyOrder");
    }

    @Test
    void droppedAckLeavesAMessageUnsettled() throws IOException {
        // msg-3 has no ordering key: without its accepted ack (and what follows for it) it is never settled
        List<String> l = traceWith(" ack ", " msg-3 ", " accepted");
        int i = find(l, " ack ", " msg-3 ", " accepted");
        List<String> edited = new ArrayList<>(l.subList(0, i));
        for (String s : l.subList(i, l.size())) if (!s.contains(" msg-3 ")) edited.add(s);
        rejected(edited, "EventuallySettled");
    }

    @Test
    void deadLetterWithAChangedPayloadIsRejected() throws IOException {
        List<String> l = traceWith(" dead-letter ", " accepted");
        int i = find(l, " dead-letter ", " accepted");
        l.set(i, l.get(i).replaceFirst("payload=([0-9a-f]+)/[0-9a-f]+", "payload=$1/0000000000000000"));
        rejected(l, "DeadLetterIntact");
    }

    @Test
    void stickyMessageLeasedToAnotherLiveMemberIsRejected() throws IOException {
        // msg-24 is sticky to m1 (any@sim/m1): give its first lease to m3
        List<String> l = traceWith(" lease m1#", " msg-24 ");
        int i = find(l, " lease m1#", " msg-24 ");
        l.set(i, l.get(i).replaceFirst(" lease m1#\\d+ ", " lease m3#0 "));
        rejected(l, "Lease");
    }
}
