package io.courier.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Model-checks the delivery contract (Courier.tla through MCCourier.tla) with TLC, and checks that the model can
 * fail: each flawed variant (a flag constant set in its own .cfg) must give a counterexample to the expected
 * invariant or property.
 */
class TlcModelCheckTest {

    @Test
    void contractHoldsWithLiveness() {
        Tlc.Run r = Tlc.check("MCCourier");
        System.out.println(r.figures());
        assertTrue(r.noError(), () -> "TLC found an error in the correct contract:\n" + r.output());
        assertEquals(0, r.exitCode(), r::output);
        assertTrue(r.distinct() > 1000, "the model is too small to mean anything: " + r.figures());
    }

    @Test
    void leaseExpiryNotCountedBreaksC15() {
        expectViolation("FlawExpiryUncounted", "Invariant AttemptsBounded is violated");
    }

    @Test
    void staleAckAcceptedChangesState() {
        expectViolation("FlawStaleAck", "Action property StaleSettlementInert is violated");
    }

    @Test
    void keyReleasedBeforeAckBreaksC9() {
        expectViolation("FlawKeyEarly", "Invariant KeyOrder is violated");
    }

    /** Liveness is not vacuous: a crash that keeps its leases leaves a message leased for ever. */
    @Test
    void crashKeepingLeasesBreaksLiveness() {
        expectViolation("FlawCrashKeepsLeases", "Temporal properties were violated");
    }

    private static void expectViolation(String config, String expected) {
        Tlc.Run r = Tlc.check(config);
        System.out.println(r.figures() + " -> " + expected);
        assertTrue(r.output().contains(expected), () -> "expected '" + expected + "' from TLC:\n" + r.output());
        assertTrue(r.output().contains("The behavior up to this point is")
                || r.output().contains("The following behavior constitutes a counter-example"), "no counterexample printed");
        assertTrue(r.exitCode() != 0, "TLC exit code should report the violation");
    }

    /**
     * A defect the model found in the code as implemented: SubscriptionRuntime.deadLetter (and Simulation) send the
     * dead letter first and ack after; when the delivery is stale (its lease expired and the message was leased
     * again), the copy is in the dead letters while the message lives on, to be acked or dead-lettered again.
     */
    @Test
    void staleDeliveryPastTheLimitDeadLettersALiveMessage() {
        expectViolation("DeadLetterOnce", "Invariant DeadLetterOnce is violated");
    }

    /** The proposed fix: a dead letter only from the current delivery. */
    @Test
    void deadLetterFromTheCurrentDeliveryOnlyHoldsSafety() {
        Tlc.Run r = Tlc.check("DeadLetterFixed");
        System.out.println(r.figures());
        assertTrue(r.noError(), () -> "TLC found an error with the fix:\n" + r.output());
    }
}
